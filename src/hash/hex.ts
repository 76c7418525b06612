/**
 * Hexadecimal text ↔ bytes, strictly: no silent truncation of odd lengths or stray characters.
 *
 * @module
 */

const HEX = '0123456789abcdef';

/**
 * Converts bytes to lowercase hexadecimal, two digits per byte.
 *
 * @example
 * ```ts
 * import { bytesToHexString } from 'openssl-ports/sha1';
 * bytesToHexString(Buffer.from([0, 175])); // '00af'
 * ```
 */
export function bytesToHexString(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytesToHexString: bytes must be a Buffer or Uint8Array, got ${typeof bytes}`);
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

function nibble(str: string, i: number): number {
  const c = str.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  throw new RangeError(`hexStringToBytes: ${JSON.stringify(str[i])} at position ${i} is not a hexadecimal digit`);
}

/**
 * Converts hexadecimal text (either case) to bytes; the inverse of {@link bytesToHexString}.
 * Refuses an odd number of digits and non-hexadecimal characters with a `RangeError`.
 *
 * @example
 * ```ts
 * import { hexStringToBytes } from 'openssl-ports/sha1';
 * hexStringToBytes('Af'); // <Buffer af>
 * hexStringToBytes('1');  // throws RangeError
 * ```
 */
export function hexStringToBytes(str: string): Buffer {
  if (typeof str !== 'string') throw new TypeError(`hexStringToBytes: str must be a string, got ${typeof str}`);
  if (str.length % 2 !== 0) throw new RangeError(`hexStringToBytes: odd number of hex digits (${str.length})`);
  const out = Buffer.allocUnsafe(str.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (nibble(str, 2 * i) << 4) | nibble(str, 2 * i + 1);
  return out;
}
