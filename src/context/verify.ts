/**
 * Peer verification settings of a context (`sslSetVerify`/`sslTryVerify`, which also take a listener
 * or a live port, are in src/api/verify.ts).
 *
 * @module
 */
import { contextOf, type SslContext } from './context.js';

/**
 * Requires the peer's certificate to match the connection's hostname (the `hostname` given to
 * `sslConnect` or `portsToSslPorts`), checked inside the handshake so that a mismatch aborts it with
 * an alert. IP literals are matched as IP addresses. Does not by itself verify the certificate chain.
 *
 * On a server context, as in Racket's implementation, the client's certificate is checked against the
 * hostname given to `portsToSslPorts` in accept mode; `sslAccept` and `sslServerUpgrade` take no
 * hostname, so with this on they fail with "accept failed (hostname not provided for verification)",
 * as Racket's `ssl-accept` does. A client without a certificate is refused. One deliberate difference:
 * with verification off, Racket's server never asks for the client's certificate and so refuses every
 * client after the handshake; here the server asks for it, and checks the name inside the handshake.
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, sslSetVerifyHostname } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * sslSetVerifyHostname(ctx, true);
 * ```
 */
export function sslSetVerifyHostname(context: SslContext, on: unknown): void {
  const who = 'sslSetVerifyHostname';
  const ctx = contextOf(who, context);
  ctx.assertMutable(who);
  ctx.verifyHostname = Boolean(on);
}
