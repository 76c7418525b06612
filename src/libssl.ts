/// <reference types="node" preserve="true" />
/**
 * `openssl-ports/libssl`: the loaded "libssl" as a koffi library handle.
 *
 * @module
 */
import { sslLib, loadFailReason, type KoffiLibrary } from './ffi/library.js';

/**
 * The libssl in use, or null when none could be loaded. Declare functions on it with koffi's syntax.
 *
 * @example
 * ```ts
 * import { libssl } from 'openssl-ports/libssl';
 * const method = libssl!.func('uintptr_t TLS_method()');
 * console.log(method() !== 0); // true
 * ```
 */
export const libssl: KoffiLibrary | null = sslLib;

/**
 * Why libssl could not be loaded, or null when {@link libssl} is available.
 *
 * @example
 * ```ts
 * import { libsslLoadFailReason } from 'openssl-ports/libssl';
 * console.log(libsslLoadFailReason ?? 'libssl loaded');
 * ```
 */
export const libsslLoadFailReason: string | null = sslLib ? null : loadFailReason;

export type { KoffiLibrary } from './ffi/library.js';
