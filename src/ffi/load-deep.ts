/**
 * Loads a shared library with koffi's `deep` option (RTLD_DEEPBIND on Linux), so that its own calls
 * into libcrypto bind to the libcrypto it depends on (used by `openssl-ports/legacy` for OpenSSL's
 * legacy provider module on the system OpenSSL).
 *
 * @module
 */
import { koffi } from './koffi.js';

/**
 * Loads `path` with `{ deep: true }`; throws what koffi throws (a missing file, a load error).
 *
 * @example
 * ```ts
 * import { loadLibraryDeep } from './load-deep.js';
 * loadLibraryDeep('/usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so');
 * ```
 */
export function loadLibraryDeep(path: string): void {
  (koffi!.load as unknown as (path: string, options?: { deep?: boolean }) => unknown)(path, { deep: true });
}
