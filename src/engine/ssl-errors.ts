/**
 * Error mapping of the engine: OpenSSL's error queue and `SSL_get_error` codes turned into
 * `SslError`s (message, status, stable code), and the checks of what a transport delivers.
 *
 * @module
 */
import { SslError, reasonCode, statusFromSslError } from '../errors.js';
import type { Native } from '../ffi/native.js';
import { drainErrors } from '../ffi/native.js';
import type { Ptr } from '../ffi/bindings.js';

export const SSL_ERROR_NONE = 0;
export const SSL_ERROR_SSL = 1;
export const SSL_ERROR_WANT_READ = 2;
export const SSL_ERROR_SYSCALL = 5;
export const SSL_ERROR_ZERO_RETURN = 6;
export const X509_V_OK = 0;

/** The failure word of a handshake: "connect failed" / "accept failed", after the entry point `who` or the mode. */
export function failedWord(who: string, mode: 'connect' | 'accept'): string {
  if (who === 'sslConnect' || who === 'sslClientUpgrade') return 'connect failed';
  if (who === 'sslAccept' || who === 'sslServerUpgrade') return 'accept failed';
  return mode === 'connect' ? 'connect failed' : 'accept failed';
}

/** An OpenSSL call of `who` failed: the error queue, drained, as the reason. */
export function opensslError(who: string, what: string, e: number): SslError {
  const errors = drainErrors();
  const last = errors[errors.length - 1];
  return new SslError(`${who}: ${what}${errors.length ? ` (${errors.map((x) => x.reason).join('; ')})` : ''}`, {
    status: statusFromSslError(e),
    code: last ? reasonCode(last.reason) : null,
  });
}

/**
 * The handshake's failure from `errors`, the error queue as read right after the failing call; `ssl`
 * (0 once released) gives the verify result, `callbackError` why a user callback made it fail.
 */
export function handshakeError(
  n: Native,
  who: string,
  mode: 'connect' | 'accept',
  e: number,
  errors: { reason: string }[],
  transportEnded: boolean,
  ssl: Ptr,
  callbackError: Error | null,
  nodeVerifyCode: string | null,
): SslError {
  if (transportEnded && (e === SSL_ERROR_SYSCALL || errors.some((x) => /unexpected eof/i.test(x.reason)))) {
    return new SslError(`${who}: ${failedWord(who, mode)} (connection closed by peer during handshake)`, { status: 'syscall', code: 'ECONNRESET' });
  }
  const reasons = errors.map((x) => x.reason);
  const vr = ssl ? n.ssl.SSL_get_verify_result(ssl) : 0;
  if (vr !== X509_V_OK && reasons.some((r) => /certificate verify failed/i.test(r))) {
    reasons.push(n.crypto.X509_verify_cert_error_string(vr));
  }
  if (callbackError) reasons.unshift(callbackError.message);
  if (reasons.length === 0) reasons.push(e === SSL_ERROR_SYSCALL ? 'connection closed by peer' : `SSL_get_error ${e}`);
  const last = errors[errors.length - 1];
  const code = last ? reasonCode(last.reason) : e === SSL_ERROR_SYSCALL ? 'ECONNRESET' : null;
  return new SslError(`${who}: ${failedWord(who, mode)} (${reasons.join(': ')})`, {
    status: statusFromSslError(e),
    code,
    verifyResult: code === 'CERTIFICATE_VERIFY_FAILED' ? vr : null,
    verifyCode: nodeVerifyCode,
    ...(callbackError ? { cause: callbackError.cause } : {}),
  });
}

/** A read, write or live-verification step failed (`SSL_get_error` `e`, the queue as read right after). */
export function ioError(who: string, e: number, errors: { reason: string }[], what: string): SslError {
  const last = errors[errors.length - 1];
  const detail = errors.length ? errors.map((x) => x.reason).join('; ') : e === SSL_ERROR_SYSCALL ? 'connection reset' : `SSL_get_error ${e}`;
  return new SslError(`${who}: ${what} (${detail})`, { status: statusFromSslError(e), code: last ? reasonCode(last.reason) : null });
}

/** `who: failed (reason)` for a live verification that failed in the connection's own read or write. */
export function verifyFailure(who: string, err: SslError): SslError {
  const m = / (\(.*\))$/s.exec(err.message);
  return new SslError(`${who}: failed ${m ? m[1] : `(${err.message})`}`, { status: err.status, code: err.code, cause: err });
}

/** What every use of a released connection answers. */
export function closedError(who: string): SslError {
  return new SslError(`${who}: the connection is closed`, { code: 'ERR_SSL_CLOSED' });
}

/**
 * The bytes of a chunk a transport delivered: a Buffer as it is, any other `ArrayBufferView`
 * (Uint16Array, DataView, …) and an `ArrayBuffer` as a Buffer over the same bytes (byteOffset and
 * byteLength, not the element count); null for anything else (a string, an object-mode value).
 */
export function chunkBytes(chunk: unknown): Buffer | null {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && chunk instanceof SharedArrayBuffer)) return Buffer.from(chunk);
  return null;
}

/** How a chunk that is not bytes is named in the error. */
export function describeChunk(chunk: unknown): string {
  if (typeof chunk === 'string') return 'strings';
  if (chunk === null || chunk === undefined) return String(chunk);
  if (typeof chunk === 'object') return `an object (${chunk.constructor?.name ?? 'null prototype'})`;
  return `a ${typeof chunk}`;
}
