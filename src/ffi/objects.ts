/**
 * Ownership bookkeeping for the OpenSSL objects the library creates. Every `*_new`/`*_load` that hands
 * us an object goes through {@link created}; every free goes through {@link freed}. The counts let the
 * tests prove that connections, contexts and digests give back everything they took.
 *
 * @module
 */

/**
 * The kinds of OpenSSL objects the library owns.
 *
 * @example
 * ```ts
 * import { sslObjectCounts, type ObjectKind } from 'openssl-ports';
 * const kind: ObjectKind = 'SSL';
 * console.log(`${sslObjectCounts()[kind]} connections open`);
 * ```
 */
export type ObjectKind = 'SSL_CTX' | 'SSL' | 'BIO' | 'X509' | 'EVP_PKEY' | 'EVP_MD_CTX' | 'EVP_MD' | 'SSL_SESSION';

const live: Record<ObjectKind, number> = {
  SSL_CTX: 0,
  SSL: 0,
  BIO: 0,
  X509: 0,
  EVP_PKEY: 0,
  EVP_MD_CTX: 0,
  EVP_MD: 0,
  SSL_SESSION: 0,
};

/** @internal records that the library now owns one more object of `kind`; returns `ptr` for chaining. */
export function created(kind: ObjectKind, ptr: number): number {
  if (ptr !== 0) live[kind]++;
  return ptr;
}

/** @internal records that the library gave back one object of `kind`. */
export function freed(kind: ObjectKind): void {
  live[kind]--;
}

/**
 * How many OpenSSL objects of each kind the library currently owns (objects that OpenSSL itself
 * shares with its caches are not counted). Intended for leak tests.
 *
 * @example
 * ```ts
 * import { sslObjectCounts } from 'openssl-ports';
 * console.log(sslObjectCounts()); // { SSL_CTX: 0, SSL: 0, ... }
 * ```
 */
export function objectCounts(): Record<ObjectKind, number> {
  return { ...live };
}
