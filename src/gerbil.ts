/**
 * The contexts of Gerbil's `:std/net/ssl`: a verifying default, an insecure one for debugging, and
 * constructors with a minimum protocol version.
 *
 * @module
 */
import { newContext, stateOf, setMinProtocol, type SslContext } from './context/context.js';
import { sslLoadDefaultVerifySources } from './context/credentials.js';
import { sslLoadCertificateChain, sslLoadPrivateKey } from './api/credentials.js';
import { sslSecureClientContext } from './context/secure.js';
import { TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION } from './context/protocols.js';
import { assertPath } from './assert.js';
import { asCaller } from './errors.js';

/**
 * A minimum protocol version: a symbol, or OpenSSL's number (`0x0303` is TLS 1.2).
 *
 * @example
 * ```ts
 * import { makeClientSslContext, type MinProtocolVersion } from 'openssl-ports';
 * const min: MinProtocolVersion = 'tls13'; // or 0x0304
 * const ctx = makeClientSslContext(min);
 * ```
 */
export type MinProtocolVersion = 'tls' | 'tls11' | 'tls12' | 'tls13' | number;

function versionNumber(who: string, v: unknown): number {
  switch (v) {
    case 'tls':
      return TLS1_VERSION;
    case 'tls11':
      return TLS1_1_VERSION;
    case 'tls12':
      return TLS1_2_VERSION;
    case 'tls13':
      return TLS1_3_VERSION;
  }
  if (typeof v === 'number' && [TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION].includes(v)) return v;
  if (typeof v === 'string' || typeof v === 'number') {
    throw new RangeError(`${who}: minProtocolVersion must be 'tls', 'tls11', 'tls12', 'tls13' or 0x0301–0x0304, got ${JSON.stringify(v)}`);
  }
  throw new TypeError(`${who}: minProtocolVersion must be a protocol symbol or number, got ${typeof v}`);
}

/**
 * The default client context: the system's trusted certificates, certificate and hostname
 * verification on (the same sealed context as `sslSecureClientContext()`).
 *
 * @example
 * ```ts
 * import { sslConnect, defaultClientSslContext } from 'openssl-ports';
 * const [input, output] = await sslConnect('example.com', 443, defaultClientSslContext());
 * ```
 */
export function defaultClientSslContext(): SslContext {
  return asCaller('defaultClientSslContext', sslSecureClientContext);
}

/**
 * A client context that performs no verification: for debugging and for legacy systems with
 * expired or self-signed certificates. It gives no protection against an active attacker.
 *
 * @example
 * ```ts
 * import { sslConnect, insecureClientSslContext } from 'openssl-ports';
 * const [input, output] = await sslConnect('localhost', 8443, insecureClientSslContext());
 * ```
 */
export function insecureClientSslContext(): SslContext {
  return newContext('client', 'auto', 'insecureClientSslContext');
}

/**
 * A verifying client context (system trust, certificate and hostname checks) that refuses protocol
 * versions below `minProtocolVersion`. Not sealed: credentials can still be added.
 *
 * @example
 * ```ts
 * import { makeClientSslContext } from 'openssl-ports';
 * const ctx = makeClientSslContext('tls13');
 * ```
 */
export function makeClientSslContext(minProtocolVersion: MinProtocolVersion = 'tls12'): SslContext {
  const who = 'makeClientSslContext';
  const min = versionNumber(who, minProtocolVersion);
  const ctx = newContext('client', min < TLS1_2_VERSION ? 'tls' : 'auto', who);
  setMinProtocol(ctx, min, 0);
  asCaller(who, () => sslLoadDefaultVerifySources(ctx));
  stateOf(ctx).verify = 'require';
  stateOf(ctx).verifyHostname = true;
  return ctx;
}

/**
 * A server context with the certificate chain at `certPath` and the key at `keyPath` (PEM), refusing
 * protocol versions below `minProtocolVersion`.
 *
 * @example
 * ```ts
 * import { sslListen, makeServerSslContext } from 'openssl-ports';
 * const ctx = makeServerSslContext('certs/server-rsa-chain.pem', 'certs/server-rsa.key');
 * const listener = await sslListen(8443, 5, true, null, ctx);
 * ```
 */
export function makeServerSslContext(certPath: string, keyPath: string, minProtocolVersion: MinProtocolVersion = 'tls12'): SslContext {
  const who = 'makeServerSslContext';
  assertPath(who, 'certPath', certPath);
  assertPath(who, 'keyPath', keyPath);
  const min = versionNumber(who, minProtocolVersion);
  const ctx = newContext('server', min < TLS1_2_VERSION ? 'tls' : 'auto', who);
  setMinProtocol(ctx, min, 0);
  asCaller(who, () => {
    sslLoadCertificateChain(ctx, certPath);
    sslLoadPrivateKey(ctx, keyPath, false);
  });
  return ctx;
}

export type { GerbilListenOptions } from './entry/listen-address.js';
