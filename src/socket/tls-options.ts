/**
 * node:tls-style connection options (`servername`, `ALPNProtocols`, `ca`, `rejectUnauthorized`, …)
 * mapped onto this library's contexts and connect options, and the ones it cannot honour refused.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { SslContext, contextOf, sslMakeClientContext } from '../context/context.js';
import { sslSecureClientContext } from '../context/secure.js';
import { sslLoadDefaultVerifySources, sslLoadVerifySource } from '../context/credentials.js';
import { sslSetVerifyHostname } from '../context/verify.js';
import { sslSetVerify, sslTryVerify } from '../api/verify.js';
import { typeError } from '../assert.js';

/**
 * The node:tls options that the connectors understand. Everything else that is TLS-specific (client
 * certificates, ciphers, protocol versions, `checkServerIdentity`, a `secureContext`) is refused with a
 * TypeError: put it in an {@link SslContext} and pass that as `context`.
 *
 * @example
 * ```ts
 * import { sslCreateConnection, type SslTlsOptions } from 'openssl-ports';
 * const options: SslTlsOptions = { ca: readFileSync('certs/root-ca.pem'), ALPNProtocols: ['http/1.1'] };
 * const createConnection = sslCreateConnection(options);
 * ```
 */
export interface SslTlsOptions {
  /**
   * The client context to connect with. Default: one that verifies the server's certificate and name
   * against `ca` when given, else against `sslDefaultVerifySources()` (the system's store).
   */
  context?: SslContext;
  /** Trusted CA certificates (PEM, one or several), replacing the default store. Not with `context`. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /**
   * `false` connects to servers whose certificate does not verify (`authorized` then tells). Never the
   * default. Not with `context` (the context decides).
   */
  rejectUnauthorized?: boolean;
  /** The name sent as SNI and verified (default: the host, unless it is an IP address). */
  servername?: string;
  /** ALPN protocols to offer, most preferred first. */
  ALPNProtocols?: Array<string | Uint8Array>;
}

/** TLS options of node:tls that have no meaning here: refused, naming the key and what to do instead. */
const REFUSED: Record<string, string> = {
  cert: 'load the client certificate into a context (sslLoadCertificateChain) and pass it as context',
  key: 'load the private key into a context (sslLoadPrivateKey) and pass it as context',
  pfx: 'load the credentials into a context and pass it as context',
  passphrase: 'load the key into a context and pass it as context',
  ciphers: 'use sslSetCiphers on a context and pass it as context',
  ecdhCurve: 'configure a context and pass it as context',
  minVersion: "make a context with the protocol you want (e.g. makeClientSslContext('tls13'))",
  maxVersion: 'make a context with the protocol you want',
  secureProtocol: 'make a context with the protocol you want',
  secureContext: 'node:tls secure contexts cannot be used; pass an openssl-ports context as context',
  checkServerIdentity: 'hostnames are verified by OpenSSL; use sslPeerCheckHostname on the ports for own checks',
  crl: 'load CRLs into a context',
  sigalgs: 'configure a context and pass it as context',
  privateKeyEngine: 'not supported',
  privateKeyIdentifier: 'not supported',
  pskCallback: 'not supported',
  requestOCSP: 'not supported',
  lookup: 'not supported (the host is resolved by net.connect)',
  localAddress: 'not supported (connections are made from the default address)',
  enableTrace: 'use NODE_DEBUG or a key logger instead',
};

/** Throws a TypeError for a set TLS option this library cannot honour. */
export function refuseUnsupported(who: string, options: Record<string, unknown>): void {
  for (const [key, hint] of Object.entries(REFUSED)) {
    const v = options[key];
    if (v !== undefined && v !== null && v !== false) throw new TypeError(`${who}: option ${JSON.stringify(key)} is not supported: ${hint}`);
  }
}

/** ALPNProtocols as the engine wants them. */
export function alpnOption(who: string, v: unknown): Uint8Array[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw typeError(who, 'ALPNProtocols', 'an array of strings or Buffers', v);
  return v.map((p, i) => {
    if (typeof p === 'string') return Buffer.from(p, 'latin1');
    if (p instanceof Uint8Array) return p;
    throw typeError(who, `ALPNProtocols[${i}]`, 'a string or Buffer', p);
  });
}

/** The name to send as SNI and verify: `servername`, else the host unless it is an IP address. */
export function serverName(who: string, servername: unknown, host: string): string {
  if (servername !== undefined && servername !== null && servername !== '') {
    if (typeof servername !== 'string') throw typeError(who, 'servername', 'a string', servername);
    return servername;
  }
  return host;
}

/**
 * Contexts made from node:tls-style options, kept per connector so that connections with the same
 * options share one context (and so resume its sessions).
 */
export class ContextCache {
  readonly #made = new Map<string, SslContext>();

  /** The context for these options (the caller's own when `context` is given). */
  get(who: string, o: { context?: unknown; ca?: unknown; rejectUnauthorized?: unknown }): SslContext {
    if (o.context !== undefined && o.context !== null) {
      const ctx = contextOf(who, o.context, { side: 'client' });
      if (o.ca !== undefined && o.ca !== null) throw new TypeError(`${who}: give ca or context, not both (load the CA into the context with sslLoadVerifySource)`);
      if (o.rejectUnauthorized === false) throw new TypeError(`${who}: rejectUnauthorized: false cannot change a given context; make the context with sslTryVerify or without sslSetVerify instead`);
      return ctx;
    }
    if (o.rejectUnauthorized !== undefined && typeof o.rejectUnauthorized !== 'boolean') {
      throw typeError(who, 'rejectUnauthorized', 'a boolean', o.rejectUnauthorized);
    }
    const reject = o.rejectUnauthorized !== false;
    const pems = caList(who, o.ca);
    if (reject && pems === null) return sslSecureClientContext();
    const key = `${reject}|${pems === null ? '' : createHash('sha256').update(Buffer.concat(pems)).digest('hex')}`;
    let ctx = this.#made.get(key);
    if (!ctx) {
      ctx = sslMakeClientContext('auto');
      if (pems === null) sslLoadDefaultVerifySources(ctx);
      else loadPems(ctx, pems);
      if (reject) sslSetVerify(ctx, true);
      else sslTryVerify(ctx, true);
      sslSetVerifyHostname(ctx, true);
      this.#made.set(key, ctx);
    }
    return ctx;
  }
}

function caList(who: string, ca: unknown): Buffer[] | null {
  if (ca === undefined || ca === null) return null;
  const list = Array.isArray(ca) ? ca : [ca];
  return list.map((c, i) => {
    if (typeof c === 'string') return Buffer.from(c.endsWith('\n') ? c : `${c}\n`, 'latin1');
    if (c instanceof Uint8Array) return Buffer.from(c);
    throw typeError(who, Array.isArray(ca) ? `ca[${i}]` : 'ca', 'a PEM string or Buffer', c);
  });
}

/** Loads PEM certificates held in memory as trusted CAs (each `['pem-data', bytes]`, no file involved). */
function loadPems(ctx: SslContext, pems: Buffer[]): void {
  for (const pem of pems) sslLoadVerifySource(ctx, ['pem-data', pem]);
}
