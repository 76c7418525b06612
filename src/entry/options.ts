/**
 * Option checks shared by the entry points (connect, accept, wrap, upgrade).
 *
 * @module
 */
import { assertKnownOptions, typeError } from '../assert.js';
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

/** The largest listen backlog: the C `int` the kernel's listen() takes. */
export const MAX_BACKLOG = 2 ** 31 - 1;

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

/**
 * An entry point's options object: `TypeError` for a non-object or an unknown key (with the
 * equivalent of node:tls names). `allowed` is typed `Record<keyof Options, true>` at each call site,
 * so that a key added to an options interface must be added to its list too.
 */
export function checkOptionsObject(who: string, options: unknown, allowed: Readonly<Record<string, true>>): Record<string, unknown> {
  return assertKnownOptions(who, options, allowed);
}
