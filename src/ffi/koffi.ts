/**
 * koffi, loaded so that a failure of its native module (e.g. under `node --experimental-permission`,
 * which refuses native addons, or a platform without a prebuilt binary) does not make importing the
 * library throw: {@link koffi} is then `null` and {@link koffiLoadError} says why, and the library
 * reports OpenSSL as unavailable.
 *
 * @module
 */
import { createRequire } from 'node:module';

type Koffi = typeof import('koffi');

let loaded: Koffi | null = null;
let failure: string | null = null;
try {
  loaded = createRequire(import.meta.url)('koffi') as Koffi;
} catch (e) {
  failure = `koffi's native module cannot be loaded: ${e instanceof Error ? e.message : String(e)}`;
}

/** The koffi module, or `null` when its native module cannot be loaded. */
export const koffi: Koffi | null = loaded;
/** Why koffi could not be loaded, or `null`. */
export const koffiLoadError: string | null = failure;
