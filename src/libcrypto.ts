/// <reference types="node" preserve="true" />
/**
 * `openssl-ports/libcrypto`: the loaded "libcrypto" as a koffi library handle, on which further
 * OpenSSL functions can be declared.
 *
 * @module
 */
import { cryptoLib, loadFailReason, opensslLibVersions as versions, type KoffiLibrary } from './ffi/library.js';

/**
 * The libcrypto in use (the system library, or Node's embedded OpenSSL), or null when none could be
 * loaded. Declare functions on it with koffi's syntax.
 *
 * @example
 * ```ts
 * import { libcrypto } from 'openssl-ports/libcrypto';
 * const version = libcrypto!.func('const char *OpenSSL_version(int)');
 * console.log(version(0)); // 'OpenSSL 3.0.19 27 Jan 2026'
 * ```
 */
export const libcrypto: KoffiLibrary | null = cryptoLib;

/**
 * Why libcrypto could not be loaded, or null when {@link libcrypto} is available.
 *
 * @example
 * ```ts
 * import { libcryptoLoadFailReason } from 'openssl-ports/libcrypto';
 * if (libcryptoLoadFailReason) console.error(libcryptoLoadFailReason);
 * ```
 */
export const libcryptoLoadFailReason: string | null = cryptoLib ? null : loadFailReason;

/**
 * The versions tried, in order, when loading the system libraries (suffixes of the file name; `''`
 * is the unversioned name).
 *
 * @example
 * ```ts
 * import { opensslLibVersions } from 'openssl-ports/libcrypto';
 * opensslLibVersions; // ['3', '']
 * ```
 */
export const opensslLibVersions: readonly string[] = versions;

export type { KoffiLibrary } from './ffi/library.js';
