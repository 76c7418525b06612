/**
 * Option checks shared by the entry points (connect, accept, wrap, upgrade).
 *
 * @module
 */
import { typeError } from '../assert.js';
import { SslError } from '../errors.js';

/** The default time a handshake may take before it fails (ms). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;

export function checkSignal(who: string, signal: unknown): AbortSignal | null {
  if (signal === undefined || signal === null) return null;
  if (!(signal instanceof AbortSignal)) throw typeError(who, 'signal', 'an AbortSignal', signal);
  return signal;
}

/**
 * The longest time limit a timer can hold (`setTimeout`'s range, 2**31 - 1 ms, about 24.8 days).
 * Limits at or beyond it mean "no limit".
 */
export const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * The one rule for every time limit of the library (`timeout`, `handshakeTimeout`): a number of
 * milliseconds; `0`, `Infinity` and anything at or beyond {@link MAX_TIMEOUT} mean no limit (answered
 * as 0); a negative number is a `RangeError`, NaN or a non-number a `TypeError`. `undefined`/`null`
 * (and `false`) mean "not given" (answered as null: the caller's default applies).
 */
export function checkTimeout(who: string, timeout: unknown, arg = 'timeout'): number | null {
  if (timeout === undefined || timeout === null || timeout === false) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) throw typeError(who, arg, 'a number of milliseconds', timeout);
  if (timeout < 0) throw new RangeError(`${who}: ${arg} must be >= 0 (0 or Infinity: no limit), got ${timeout}`);
  if (timeout >= MAX_TIMEOUT) return 0;
  return timeout;
}

export function checkAlpnList(who: string, alpn: unknown): Uint8Array[] {
  if (alpn === undefined || alpn === null) return [];
  if (!Array.isArray(alpn)) throw typeError(who, 'alpn', 'an array of Buffers', alpn);
  return alpn as Uint8Array[];
}

export function abortError(who: string, signal: AbortSignal): SslError {
  return new SslError(`${who}: aborted`, { code: 'ABORT_ERR', cause: signal.reason });
}

export function checkOptionsObject(who: string, options: unknown): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw typeError(who, 'options', 'an options object', options);
  return options as Record<string, unknown>;
}
