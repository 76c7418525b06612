/**
 * The error class of the library. Every failure of TLS or of the network is an {@link SslError} whose
 * message starts with the name of the procedure that failed.
 *
 * @module
 */

/**
 * The Chicken egg's classification of an OpenSSL failure (from `SSL_get_error`).
 *
 * @example
 * ```ts
 * import { sslConnect, isSslError, type SslErrorStatus } from 'openssl-ports';
 * try {
 *   await sslConnect('localhost', 8443, 'secure');
 * } catch (e) {
 *   const status: SslErrorStatus = isSslError(e) ? e.status : null;
 *   if (status === 'syscall') console.error('the network failed, not TLS');
 * }
 * ```
 */
export type SslErrorStatus =
  | 'zero-return'
  | 'want-read'
  | 'want-write'
  | 'want-connect'
  | 'want-accept'
  | 'want-X509-lookup'
  | 'syscall'
  | 'ssl'
  | null;

const STATUS_BY_CODE: Record<number, SslErrorStatus> = {
  1: 'ssl',
  2: 'want-read',
  3: 'want-write',
  4: 'want-X509-lookup',
  5: 'syscall',
  6: 'zero-return',
  7: 'want-connect',
  8: 'want-accept',
};

/** Maps an `SSL_get_error` result to its status symbol (`null` for `SSL_ERROR_NONE` or unknown codes). */
export function statusFromSslError(code: number): SslErrorStatus {
  return STATUS_BY_CODE[code] ?? null;
}

/**
 * Options of the {@link SslError} constructor.
 *
 * @example
 * ```ts
 * import { SslError } from 'openssl-ports';
 * throw new SslError('myProtocol: the server refused STARTTLS', { status: null, code: 'ERR_STARTTLS_REFUSED' });
 * ```
 */
export interface SslErrorOptions {
  /** The `SSL_get_error` classification. */
  status?: SslErrorStatus;
  /** The stable error code. */
  code?: string | null;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A failure of TLS, of OpenSSL or of the network under a TLS connection.
 *
 * @example
 * ```ts
 * import { sslConnect, SslError } from 'openssl-ports';
 * try {
 *   await sslConnect('localhost', 1, 'secure');
 * } catch (e) {
 *   if (e instanceof SslError) console.log(e.message, e.status, e.code);
 * }
 * ```
 */
export class SslError extends Error {
  /** How `SSL_get_error` classified the failure, as the Chicken egg names it, or `null`. */
  readonly status: SslErrorStatus;
  /**
   * A stable code: OpenSSL's reason in upper snake case (e.g. `'CERTIFICATE_VERIFY_FAILED'`), a
   * library code (e.g. `'ERR_SSL_SEALED'`), or Node's system error code (e.g. `'ECONNREFUSED'`).
   */
  readonly code: string | null;

  constructor(message: string, options: SslErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SslError';
    this.status = options.status ?? null;
    this.code = options.code ?? null;
  }
}

/**
 * Tells whether `e` is an error raised by this library for a TLS or network failure (Gerbil's `ssl-error?`).
 *
 * @example
 * ```ts
 * import { isSslError, sslConnect } from 'openssl-ports';
 * await sslConnect('localhost', 1).catch((e) => console.log(isSslError(e))); // true
 * ```
 */
export function isSslError(e: unknown): e is SslError {
  return e instanceof SslError;
}

/** Turns an OpenSSL reason string into a stable code: `"certificate verify failed"` → `CERTIFICATE_VERIFY_FAILED`. */
export function reasonCode(reason: string): string {
  return reason
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * An error raised inside `who` by another public procedure it delegates to (e.g. `makeServerSslContext`
 * loading its chain with `sslLoadCertificateChain`), re-labelled so that its message starts with the
 * procedure that was called; the inner error stays as the `cause`. `SslError` keeps its `status` and
 * `code`, `TypeError`/`RangeError` their class. Anything else is returned unchanged.
 */
export function relabelError(who: string, e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const m = /^([A-Za-z][A-Za-z0-9]*): /.exec(e.message);
  if (!m || m[1] === who) return e;
  const message = `${who}: ${e.message.slice(m[0].length)}`;
  if (e instanceof SslError) return new SslError(message, { status: e.status, code: e.code, cause: e });
  if (e instanceof RangeError) return new RangeError(message, { cause: e });
  if (e instanceof TypeError) return new TypeError(message, { cause: e });
  if (e.constructor === Error) return new Error(message, { cause: e });
  return e;
}

/** Runs `body` on behalf of the public procedure `who`: errors it raises are re-labelled ({@link relabelError}). */
export function asCaller<T>(who: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    throw relabelError(who, e);
  }
}
