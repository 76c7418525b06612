/**
 * Argument checks: `TypeError` for a value of the wrong type, `RangeError` for a value out of range,
 * each naming the procedure and the argument.
 *
 * @module
 */
import { NODE_TLS_EQUIVALENTS } from './node-tls-hints.js';

/** Describes a value for an error message. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : `an object (${v.constructor?.name ?? 'Object'})`;
  return `${typeof v} ${String(v)}`;
}

export function typeError(who: string, arg: string, expected: string, got: unknown): TypeError {
  return new TypeError(`${who}: ${arg} must be ${expected}, got ${describeValue(got)}`);
}

export function assertString(who: string, arg: string, v: unknown): asserts v is string {
  if (typeof v !== 'string') throw typeError(who, arg, 'a string', v);
}

/** A host name (to connect to, send as SNI, or check): a string without NUL characters (which C would cut at). */
export function assertHostname(who: string, arg: string, v: unknown): asserts v is string {
  assertString(who, arg, v);
  if (v.includes('\0')) throw new RangeError(`${who}: ${arg} must not contain a NUL character, got ${describeValue(v)}`);
}

export function assertBytes(who: string, arg: string, v: unknown): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw typeError(who, arg, 'a Buffer or Uint8Array', v);
}

export function assertPath(who: string, arg: string, v: unknown): asserts v is string {
  if (typeof v !== 'string') throw typeError(who, arg, 'a path string', v);
  if (v.length === 0 || v.includes('\0')) throw new RangeError(`${who}: ${arg} must be a non-empty path without NUL characters`);
}

/**
 * An integer argument: `TypeError` when it is not a number, `RangeError` when it is a number but not
 * an integer in `[min, max]` (1.5, NaN, -1 …), as Node's own argument checks do.
 */
export function assertInteger(who: string, arg: string, v: unknown, min: number, max: number): asserts v is number {
  if (typeof v !== 'number') throw typeError(who, arg, 'an integer', v);
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${who}: ${arg} must be an integer from ${min} to ${max}, got ${v}`);
}

export function assertPortNumber(who: string, arg: string, v: unknown, min: number): asserts v is number {
  assertInteger(who, arg, v, min, 65535);
}

export function assertFunction(who: string, arg: string, v: unknown): asserts v is (...args: never[]) => unknown {
  if (typeof v !== 'function') throw typeError(who, arg, 'a function', v);
}

/**
 * An options object (or `undefined`/`null`, read as `{}`) whose own keys are all in `allowed`: an
 * unknown key is a `TypeError` naming the procedure and the key, with the equivalent here for the
 * node:tls names people try (`rejectUnauthorized`, `ca`, `servername`, …).
 */
export function assertKnownOptions(who: string, options: unknown, allowed: readonly string[] | Readonly<Record<string, true>>): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw typeError(who, 'options', 'an options object', options);
  const known = Array.isArray(allowed) ? allowed : Object.keys(allowed);
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = Object.hasOwn(NODE_TLS_EQUIVALENTS, key) ? `; that is a node:tls option: ${NODE_TLS_EQUIVALENTS[key]}` : '';
    const expected = known.length ? `; known options: ${known.join(', ')}` : '; it takes no options';
    throw new TypeError(`${who}: unknown option ${JSON.stringify(key)}${hint}${expected}`);
  }
  return options as Record<string, unknown>;
}
