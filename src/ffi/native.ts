/**
 * Access to the loaded OpenSSL for the rest of the library: `native()` returns both function tables
 * or throws the seed's "not available" error, and the error queue helpers turn OpenSSL's thread-local
 * error queue into messages.
 *
 * @module
 */
import koffi from 'koffi';
import { crypto, ssl, type CryptoFunctions, type SslFunctions } from './bindings.js';
import { loadFailReason, sslLib } from './library.js';

export interface Native {
  crypto: CryptoFunctions;
  ssl: SslFunctions;
}

const both: Native | null = crypto && ssl ? { crypto, ssl } : null;

/** Whether OpenSSL was loaded. */
export const available = both !== null;

/** Returns the OpenSSL function tables; throws when OpenSSL could not be loaded. */
export function native(who: string): Native {
  if (both) return both;
  throw new Error(`${who}: OpenSSL is not available (${loadFailReason ?? 'unknown reason'})`);
}

/** One entry of OpenSSL's error queue. */
export interface OpensslErrorEntry {
  /** The packed error code (`ERR_get_error`). */
  code: number;
  /** OpenSSL's reason string, e.g. `"certificate verify failed"`. */
  reason: string;
  /** The full line from `ERR_error_string_n`. */
  text: string;
}

/** Empties OpenSSL's error queue, returning what it held (oldest first). */
export function drainErrors(): OpensslErrorEntry[] {
  if (!both) return [];
  const out: OpensslErrorEntry[] = [];
  for (;;) {
    const code = both.crypto.ERR_get_error();
    if (!code) break;
    const buf = Buffer.alloc(256);
    both.crypto.ERR_error_string_n(code, buf, buf.length);
    const text = buf.toString('latin1', 0, buf.indexOf(0));
    const reason = both.crypto.ERR_reason_error_string(code) ?? text;
    if (out.length < 16) out.push({ code, reason, text });
  }
  return out;
}

/** Discards OpenSSL's error queue. */
export function clearErrors(): void {
  both?.crypto.ERR_clear_error();
}

const memcpy = sslLib
  ? (koffi.load(null as unknown as string).func('void *memcpy(void *dst, uintptr_t src, size_t n)') as unknown as (
      dst: Uint8Array,
      src: number,
      n: number,
    ) => unknown)
  : null;

/** Copies `len` bytes at address `addr` (memory owned by OpenSSL) into a new Buffer. */
export function readMemory(addr: number, len: number): Buffer {
  const out = Buffer.alloc(len);
  if (len > 0 && addr !== 0 && memcpy) memcpy(out, addr, len);
  return out;
}

/** Reads a pointer stored in `buf` (an out-parameter of pointer size). */
export function readPointer(buf: Buffer): number {
  return Number(buf.readBigUInt64LE(0));
}
