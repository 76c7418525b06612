/**
 * Peer verification settings: on a context or listener for later connections, or on a live port,
 * where they take effect at once (TLS 1.2 renegotiation, TLS 1.3 post-handshake authentication).
 * A port goes to its connection (the engine), a context or listener to the context layer.
 *
 * @module
 */
import { contextOf, type SslContext } from '../context/context.js';
import type { SslListener } from '../entry/server.js';
import { isSslPort, type SslPort } from '../ports/ports.js';
import { connectionOf } from '../engine/registry.js';
import { typeError } from '../assert.js';

type Target = SslContext | SslListener | SslPort;

function setVerify(who: string, target: Target, on: unknown, mode: 'try' | 'require'): void | Promise<void> {
  if (on !== null && typeof on === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(on))) {
    // A node:tls-style options object ({ rejectUnauthorized: false } …) would read as "on": refuse it.
    throw typeError(who, 'on', 'a boolean (this procedure takes no options object)', on);
  }
  if (isSslPort(target)) {
    const conn = connectionOf(who, target);
    try {
      conn.sslPtr(who); // a closed port: an SslError (ERR_SSL_CLOSED), as a rejection
      if (!on) {
        conn.verify = 'off';
        conn.applyVerifyMode(false);
        return Promise.resolve();
      }
      return conn.reverify(who, mode);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  const ctx = contextOf(who, target, { listener: true });
  ctx.assertMutable(who);
  ctx.verify = on ? mode : 'off';
}

/**
 * Requires a verified peer certificate. On a context or listener, for each later connection (a
 * failure aborts the handshake with an alert); on an SSL port, verifies now and resolves, or rejects
 * with an `SslError` ("sslSetVerify: failed …"); on a closed port (with any `on`), rejects with an
 * `SslError` whose `code` is `ERR_SSL_CLOSED`. `on` is read as a truth value, as in the seed, except
 * that a plain object (a node:tls-style `{ rejectUnauthorized }`) is a `TypeError`. On a port, one
 * verification runs at a time: a second `sslSetVerify`/`sslTryVerify` while one is pending is refused
 * (`code: 'ERR_SSL_VERIFY_PENDING'`) and the pending one goes on; a connection that closes meanwhile
 * rejects it at once (`ERR_SSL_CLOSED`). The peer's answer is read behind the data it sent before it,
 * which the application must read (the input port's back-pressure holds).
 *
 * @example
 * ```ts
 * import { sslMakeServerContext, sslSetVerify, sslLoadVerifySource } from 'openssl-ports';
 * const ctx = sslMakeServerContext('auto', { privateKey: ['pem', 'server.key'], certificateChain: 'server.pem' });
 * sslLoadVerifySource(ctx, 'client-ca.pem');
 * sslSetVerify(ctx, true); // clients must present a certificate from client-ca.pem
 * // or later, on a live connection:
 * await sslSetVerify(input, true);
 * ```
 */
export function sslSetVerify(target: SslContext | SslListener, on: unknown): void;
export function sslSetVerify(target: SslPort, on: unknown): Promise<void>;
export function sslSetVerify(target: Target, on: unknown): void | Promise<void> {
  return setVerify('sslSetVerify', target, on, 'require');
}

/**
 * Like {@link sslSetVerify}, but a failed verification does not stop the connection; ask
 * `sslPeerVerified` whether it succeeded.
 *
 * @example
 * ```ts
 * import { sslTryVerify, sslPeerVerified } from 'openssl-ports';
 * sslTryVerify(listener, true);
 * const [input] = await sslAccept(listener);
 * console.log(sslPeerVerified(input));
 * ```
 */
export function sslTryVerify(target: SslContext | SslListener, on: unknown): void;
export function sslTryVerify(target: SslPort, on: unknown): Promise<void>;
export function sslTryVerify(target: Target, on: unknown): void | Promise<void> {
  return setVerify('sslTryVerify', target, on, 'try');
}

