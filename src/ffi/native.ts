/**
 * Access to the loaded OpenSSL for the rest of the library: `native()` returns both function tables
 * or throws the seed's "not available" error, and the error queue helpers turn OpenSSL's thread-local
 * error queue into messages.
 *
 * @module
 */
import { koffi } from './koffi.js';
import { SslError } from '../errors.js';
import { crypto, ssl, type CryptoFunctions, type SslFunctions } from './bindings.js';
import { loadFailReason, sslLib } from './library.js';

export interface Native {
  crypto: CryptoFunctions;
  ssl: SslFunctions;
}

const both: Native | null = crypto && ssl ? { crypto, ssl } : null;

/** Whether OpenSSL was loaded. */
export const available = both !== null;

/** Why OpenSSL may no longer be used in this thread (its worker is exiting), or null. */
let retiredReason: string | null = null;

/**
 * Returns the OpenSSL function tables; throws an `SslError` (code `ERR_SSL_NOT_AVAILABLE`) when OpenSSL
 * could not be loaded, or may no longer be used (the worker thread is exiting).
 */
export function native(who: string): Native {
  if (both && retiredReason === null) return both;
  if (retiredReason !== null) throw new SslError(`${who}: OpenSSL can no longer be used here (${retiredReason})`, { code: 'ERR_SSL_NOT_AVAILABLE' });
  throw new SslError(`${who}: OpenSSL is not available (${loadFailReason ?? 'unknown reason'})`, { code: 'ERR_SSL_NOT_AVAILABLE' });
}

/** From now on {@link native} refuses (the worker thread is exiting and its callbacks are going away). */
export function retireNative(reason: string): void {
  retiredReason = reason;
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

/** The process's own symbols (libc among them). */
const self = sslLib && koffi ? koffi.load(null as unknown as string) : null;
const memcpy = self ? (self.func('void *memcpy(void *dst, uintptr_t src, size_t n)') as unknown as (dst: Uint8Array, src: number, n: number) => unknown) : null;
/** memset(s, 0, 0) changes nothing and returns `s`: the address of a Buffer's memory. */
const memsetZero = self ? (self.func('uintptr_t memset(void *s, int c, size_t n)') as unknown as (s: Uint8Array, c: number, n: number) => number) : null;

/**
 * The address of a Buffer's memory, so that the engine can pass its own long-lived buffers to
 * OpenSSL as plain numbers (`*_at` functions in `bindings.ts`): koffi's checks of a Buffer argument
 * cost more than a small record's whole call. An ArrayBuffer's memory never moves; the caller must
 * keep the Buffer referenced for as long as it uses the address, and must stay inside its length.
 * 0 only when OpenSSL is not loaded (and then no connection can be made); never 0 otherwise.
 */
export function bufferAddress(buf: Buffer): number {
  return memsetZero ? memsetZero(buf, 0, 0) : 0;
}

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
