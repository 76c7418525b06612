/**
 * Files shipped with the package (the test PKI).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';

/** The path of a file in the bundled `certs/` directory. */
export function bundledCert(name: string): string {
  return fileURLToPath(new URL(`../../certs/${name}`, import.meta.url));
}
