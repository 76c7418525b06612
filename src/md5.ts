/// <reference types="node" preserve="true" />
/**
 * `openssl-ports/md5`: MD5 computed by OpenSSL (falling back to a pure-JavaScript implementation, with
 * one warning, where OpenSSL cannot, e.g. in FIPS mode).
 *
 * @module
 */
import { digestBytes, type HashInput } from './hash/digest.js';
import { bytesToHexString } from './hash/hex.js';

export type { HashInput } from './hash/digest.js';

/**
 * The 16-byte MD5 of everything `input` delivers, read to its end.
 *
 * @example
 * ```ts
 * import { md5Bytes } from 'openssl-ports/md5';
 * await md5Bytes(Buffer.from('abc')); // <Buffer 90 01 50 98 …>
 * ```
 */
export function md5Bytes(input: HashInput): Promise<Buffer> {
  return digestBytes('md5Bytes', 'MD5', input);
}

/**
 * The MD5 of everything `input` delivers, as 32 lowercase hexadecimal digits.
 *
 * @example
 * ```ts
 * import { md5 } from 'openssl-ports/md5';
 * await md5(Buffer.from('abc')); // '900150983cd24fb0d6963f7d28e17f72'
 * ```
 */
export async function md5(input: HashInput): Promise<string> {
  return bytesToHexString(await digestBytes('md5', 'MD5', input));
}
