/**
 * The secure client context: default trust, certificate and hostname verification, no weak
 * ciphers, sealed; cached for as long as the default verification sources stay the same.
 *
 * @module
 */
import { newContext, stateOf, type SslContext } from './context.js';
import { sslLoadDefaultVerifySources, sslSetCiphers } from './credentials.js';
import { verifySourcesKey } from './verify-sources.js';

/** The cipher string of the seed's secure context. */
export const SECURE_CIPHERS = 'DEFAULT:!aNULL:!eNULL:!LOW:!EXPORT:!SSLv2';

let cached: { key: string; ctx: SslContext } | null = null;

/** @internal turns `ctx` into a secure context (default sources, verify, hostname, ciphers) and seals it. */
export function makeSecure(ctx: SslContext): void {
  sslLoadDefaultVerifySources(ctx);
  const s = stateOf(ctx);
  s.verify = 'require';
  s.verifyHostname = true;
  sslSetCiphers(ctx, SECURE_CIPHERS);
  s.sealed = true;
}

/**
 * Returns the sealed client context that verifies certificates against
 * `sslDefaultVerifySources()`, verifies hostnames and avoids weak ciphers. The same object is
 * returned until the default sources change to a different list (compared by value, as Racket's
 * `equal?`: setting an equal list again keeps the cached context).
 *
 * @example
 * ```ts
 * import { sslConnect, sslSecureClientContext } from 'openssl-ports';
 * const [input, output] = await sslConnect('example.com', 443, sslSecureClientContext());
 * ```
 */
export function sslSecureClientContext(): SslContext {
  const key = verifySourcesKey();
  if (cached && cached.key === key) return cached.ctx;
  const ctx = newContext('client', 'secure', 'sslSecureClientContext');
  makeSecure(ctx);
  cached = { key, ctx };
  return ctx;
}
