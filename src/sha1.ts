/// <reference types="node" preserve="true" />
/**
 * `openssl-ports/sha1`: SHA-1 computed by OpenSSL (falling back to a pure-JavaScript implementation,
 * with one warning, where OpenSSL cannot), over a stream, any async iterable of bytes, or bytes.
 *
 * @module
 */
import { digestBytes, type HashInput } from './hash/digest.js';
import { bytesToHexString } from './hash/hex.js';

export { bytesToHexString, hexStringToBytes } from './hash/hex.js';
export type { HashInput } from './hash/digest.js';

/**
 * The 20-byte SHA-1 of everything `input` delivers, read to its end.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { sha1Bytes } from 'openssl-ports/sha1';
 * const digest = await sha1Bytes(createReadStream('big.iso')); // <Buffer …20 bytes>
 * ```
 */
export function sha1Bytes(input: HashInput): Promise<Buffer> {
  return digestBytes('sha1Bytes', 'SHA1', input);
}

/**
 * The SHA-1 of everything `input` delivers, as 40 lowercase hexadecimal digits.
 *
 * @example
 * ```ts
 * import { sha1 } from 'openssl-ports/sha1';
 * await sha1(Buffer.from('abc')); // 'a9993e364706816aba3e25717850c26c9cd0d89d'
 * ```
 */
export async function sha1(input: HashInput): Promise<string> {
  return bytesToHexString(await digestBytes('sha1', 'SHA1', input));
}
