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
  /** OpenSSL's X509 verify result (`X509_V_ERR_*`), when certificate verification failed. */
  verifyResult?: number | null;
  /** The node:tls name to report, when it differs from the name of `verifyResult` (see {@link SslError.verifyCode}). */
  verifyCode?: string | null;
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
  /**
   * When the peer's certificate failed verification: the reason in the names node:tls gives its
   * errors' `code` for the same certificate (`'CERT_HAS_EXPIRED'`, `'CERT_NOT_YET_VALID'`,
   * `'DEPTH_ZERO_SELF_SIGNED_CERT'`, `'SELF_SIGNED_CERT_IN_CHAIN'`, `'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'`,
   * `'UNABLE_TO_VERIFY_LEAF_SIGNATURE'`, …, and `'ERR_TLS_CERT_ALTNAME_INVALID'` for a hostname or IP
   * address the certificate does not name, which OpenSSL calls `HOSTNAME_MISMATCH` /
   * `IP_ADDRESS_MISMATCH`); otherwise `null`. {@link SslError.code} stays `'CERTIFICATE_VERIFY_FAILED'`.
   * node:tls lets OpenSSL's verification run to its end and reports the last finding, where this
   * library stops at the first (so that the handshake fails with an alert): a lone leaf whose issuer is
   * unknown is `'UNABLE_TO_VERIFY_LEAF_SIGNATURE'` here as in node:tls, although
   * {@link SslError.verifyResult} holds OpenSSL's first finding (20, unable to get local issuer certificate).
   *
   * @example
   * ```ts
   * import { sslConnect, isSslError } from 'openssl-ports';
   * try {
   *   await sslConnect('expired.badssl.com', 443, 'secure');
   * } catch (e) {
   *   if (isSslError(e) && e.verifyCode === 'CERT_HAS_EXPIRED') console.error('renew the certificate');
   * }
   * ```
   */
  readonly verifyCode: string | null;
  /** OpenSSL's X509 verify result (`X509_V_ERR_*`, e.g. 10 for an expired certificate) when verification failed, else `null`. */
  readonly verifyResult: number | null;

  constructor(message: string, options: SslErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SslError';
    this.status = options.status ?? null;
    this.code = options.code ?? null;
    const vr = options.verifyResult ?? null;
    this.verifyResult = vr === null || vr === 0 ? null : vr;
    this.verifyCode = this.verifyResult === null ? null : (options.verifyCode ?? x509VerifyCode(this.verifyResult));
  }
}

/**
 * node:tls's names of OpenSSL's X509 verify results (Node's `X509ErrorCode` table, crypto_common.cc),
 * by `X509_V_ERR_*` number (OpenSSL 3 numbering).
 */
const NODE_X509_CODES: Record<number, string> = {
  2: 'UNABLE_TO_GET_ISSUER_CERT',
  3: 'UNABLE_TO_GET_CRL',
  4: 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  5: 'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  6: 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  7: 'CERT_SIGNATURE_FAILURE',
  8: 'CRL_SIGNATURE_FAILURE',
  9: 'CERT_NOT_YET_VALID',
  10: 'CERT_HAS_EXPIRED',
  11: 'CRL_NOT_YET_VALID',
  12: 'CRL_HAS_EXPIRED',
  13: 'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  14: 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  15: 'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  16: 'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  17: 'OUT_OF_MEM',
  18: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  19: 'SELF_SIGNED_CERT_IN_CHAIN',
  20: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  21: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  22: 'CERT_CHAIN_TOO_LONG',
  23: 'CERT_REVOKED',
  25: 'PATH_LENGTH_EXCEEDED',
  26: 'INVALID_PURPOSE',
  27: 'CERT_UNTRUSTED',
  28: 'CERT_REJECTED',
  79: 'INVALID_CA',
  // node:tls checks names itself (tls.checkServerIdentity) and reports this code; OpenSSL's
  // X509_V_ERR_HOSTNAME_MISMATCH (62) and X509_V_ERR_IP_ADDRESS_MISMATCH (64) are the same finding.
  62: 'ERR_TLS_CERT_ALTNAME_INVALID',
  64: 'ERR_TLS_CERT_ALTNAME_INVALID',
};

/**
 * @internal The node:tls name of an X509 verify result: `null` for `X509_V_OK`, `'UNSPECIFIED'` (as
 * node:tls says) for a result outside its table. Also what a TLSSocket-like `authorizationError.code` needs.
 */
export function x509VerifyCode(result: number): string | null {
  if (result === 0) return null;
  return NODE_X509_CODES[result] ?? 'UNSPECIFIED';
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
