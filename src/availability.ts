/**
 * Whether OpenSSL could be loaded, why not, and which one is in use.
 *
 * @module
 */
import { available } from './ffi/native.js';
import { crypto } from './ffi/bindings.js';
import { loadFailReason, opensslSource, opensslFile } from './ffi/library.js';
import { objectCounts, type ObjectKind } from './ffi/objects.js';

/**
 * Whether OpenSSL was loaded (the seed's `ssl-available?`). When false, every TLS procedure throws
 * and {@link sslLoadFailReason} says why.
 *
 * @example
 * ```ts
 * import { sslAvailable, sslLoadFailReason } from 'openssl-ports';
 * if (!sslAvailable) console.error(sslLoadFailReason);
 * ```
 */
export const sslAvailable: boolean = available;

/**
 * Why OpenSSL could not be loaded, or `null` when {@link sslAvailable} is true.
 *
 * @example
 * ```ts
 * import { sslLoadFailReason } from 'openssl-ports';
 * console.log(sslLoadFailReason ?? 'OpenSSL loaded');
 * ```
 */
export const sslLoadFailReason: string | null = available ? null : loadFailReason;

/**
 * What {@link opensslInfo} reports.
 *
 * @example
 * ```ts
 * import { opensslInfo, type OpensslInfo } from 'openssl-ports';
 * const info: OpensslInfo | null = opensslInfo();
 * if (info) console.log(`${info.version} from ${info.source === 'node' ? "Node's binary" : info.file}`);
 * ```
 */
export interface OpensslInfo {
  /** `'system'` (the system libssl/libcrypto) or `'node'` (Node's embedded copy). */
  source: 'system' | 'node';
  /** e.g. `"OpenSSL 3.0.19 27 Jan 2026"`. */
  version: string;
  /** The file OpenSSL was loaded from. */
  file: string;
  /** OpenSSL's configuration directory (`OPENSSLDIR`). */
  configDir: string | null;
  /** Where OpenSSL looks for provider modules. */
  modulesDir: string | null;
}

/**
 * Describes the OpenSSL in use, or returns null when none could be loaded.
 *
 * @example
 * ```ts
 * import { opensslInfo } from 'openssl-ports';
 * console.log(opensslInfo()); // { source: 'system', version: 'OpenSSL 3.0.19 27 Jan 2026', … }
 * ```
 */
export function opensslInfo(): OpensslInfo | null {
  if (!crypto || !opensslSource || !opensslFile) return null;
  return {
    source: opensslSource,
    version: crypto.OpenSSL_version(0),
    file: opensslFile,
    configDir: crypto.OPENSSL_info(1001),
    modulesDir: crypto.OPENSSL_info(1003),
  };
}

/**
 * How many OpenSSL objects of each kind the library owns right now: a leak check for tests. After
 * every connection is closed and contexts are collected, all counts are zero.
 *
 * @example
 * ```ts
 * import { sslObjectCounts } from 'openssl-ports';
 * console.log(sslObjectCounts().SSL); // 0 when no connection is open
 * ```
 */
export function sslObjectCounts(): Record<ObjectKind, number> {
  return objectCounts();
}
