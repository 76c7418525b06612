/**
 * Hexadecimal text ↔ bytes, strictly: no silent truncation of odd lengths or stray characters
 * (Node's `Buffer.from(str, 'hex')` stops quietly at the first bad digit).
 *
 * @module
 */

/**
 * Converts bytes to lowercase hexadecimal, two digits per byte (Racket's `bytes->hex-string`).
 *
 * @example
 * ```ts
 * import { bytesToHexString } from 'openssl-ports/sha1';
 * bytesToHexString(new Uint8Array([0, 175])); // '00af'
 * ```
 */
export function bytesToHexString(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytesToHexString: bytes must be a Buffer or Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function nibble(str: string, i: number): number {
  const c = str.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  throw new RangeError(`hexStringToBytes: ${JSON.stringify(str[i])} at position ${i} is not a hexadecimal digit`);
}

/**
 * Converts hexadecimal text (either case) to bytes; the inverse of {@link bytesToHexString}
 * (Racket's `hex-string->bytes`). An odd number of digits or a non-hexadecimal character is a `RangeError`.
 *
 * @example
 * ```ts
 * import { hexStringToBytes } from 'openssl-ports/sha1';
 * hexStringToBytes('Af'); // <Buffer af>
 * hexStringToBytes('1');  // throws RangeError
 * ```
 */
export function hexStringToBytes(str: string): Buffer {
  if (typeof str !== 'string') throw new TypeError(`hexStringToBytes: str must be a string, got ${str === null ? 'null' : typeof str}`);
  if (str.length % 2 !== 0) throw new RangeError(`hexStringToBytes: odd number of hex digits (${str.length})`);
  const out = Buffer.allocUnsafe(str.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (nibble(str, 2 * i) << 4) | nibble(str, 2 * i + 1);
  return out;
}
