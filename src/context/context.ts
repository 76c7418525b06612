/**
 * SSL contexts: the OpenSSL `SSL_CTX` that holds a side's protocol range, identity, trust and
 * verification policy, plus the settings OpenSSL keeps per connection but the seed keeps per context
 * (ALPN, key logger, SNI callback, verification mode). A context owns one `SSL_CTX` reference,
 * released when the context is garbage collected; every connection made from it holds its own.
 *
 * @module
 */
import { native, drainErrors } from '../ffi/native.js';
import { created, freed } from '../ffi/objects.js';
import { trampolines } from '../ffi/callbacks.js';
import type { Ptr } from '../ffi/bindings.js';
import { SslError, asCaller, reasonCode } from '../errors.js';
import { assertKnownOptions, describeValue, typeError } from '../assert.js';
import { applyCredentials } from './credentials.js';
import type { CertificateSource } from './certificate-data.js';
import { sslSecureClientContext, makeSecure } from './secure.js';
import { SessionCache } from './session-cache.js';
import { isProtocolSymbol, protocolSettings, unsupportedReason, type SslProtocol } from './protocols.js';
import { loadedFreeBuffersRefusesPartialRecords } from '../ffi/known-bugs.js';

/** How the peer's certificate is checked. */
export type VerifyMode = 'off' | 'try' | 'require';

/**
 * The private key forms accepted by the context constructors and {@link sslLoadPrivateKey}: a PEM
 * file, PEM in memory (bytes or a string), a DER file, or DER bytes.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sslMakeServerContext, type PrivateKeySource } from 'openssl-ports';
 * const fromFile: PrivateKeySource = ['pem', 'certs/server-rsa.key'];
 * const fromBytes: PrivateKeySource = ['pem-data', readFileSync('certs/server-rsa.key')];
 * const ctx = sslMakeServerContext('auto', { privateKey: fromBytes, certificateChain: 'certs/server-rsa-chain.pem' });
 * ```
 */
export type PrivateKeySource = ['pem', string] | ['pem-data', Uint8Array | string] | ['der', string] | ['der-data', Uint8Array];

/**
 * Options of {@link sslMakeClientContext} and {@link sslMakeServerContext}: the context's own
 * identity (certificate chain and private key).
 *
 * @example
 * ```ts
 * import { sslMakeClientContext } from 'openssl-ports';
 * // A client that presents a certificate (mutual TLS):
 * const ctx = sslMakeClientContext('auto', { certificateChain: 'certs/client-chain.pem', privateKey: ['pem', 'certs/client.key'] });
 * ```
 */
export interface ContextOptions {
  /** The identity's private key, loaded with `rsa = false` (any key type). */
  privateKey?: PrivateKeySource | null;
  /** The certificate chain, leaf first: a PEM file, or any {@link CertificateSource} (e.g. `['pem-data', bytes]`). */
  certificateChain?: CertificateSource | null;
}

const SSL_CTRL_MODE = 33;
const SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
const SSL_CTRL_SET_MAX_PROTO_VERSION = 124;
const SSL_CTRL_SET_SESS_CACHE_MODE = 44;
const SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2;
const SSL_MODE_RELEASE_BUFFERS = 0x10;
const SSL_SESS_CACHE_CLIENT = 0x1;
const SSL_SESS_CACHE_SERVER = 0x2;
const SSL_SESS_CACHE_NO_INTERNAL_STORE = 0x300;
const SSL_CTRL_SET_TLSEXT_SERVERNAME_CB = 53;
const SSL_CTRL_SET_DH_AUTO = 118;
const SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION = 0x10000;
// SSL_OP_NO_RENEGOTIATION is left off: the seed renegotiates to verify a live TLS 1.2 port.
// SSL_OP_IGNORE_UNEXPECTED_EOF is left off too, so that a peer's close_notify ('zero-return') stays
// distinguishable from a bare TCP close (which the engine reports itself).

const registry = new FinalizationRegistry<Ptr>((ptr) => {
  native('SslContext').ssl.SSL_CTX_free(ptr);
  freed('SSL_CTX');
});

let sessionIdCounter = 0;

/**
 * The private state of a context: what OpenSSL and the engine read, out of the user's reach.
 *
 * @internal
 */
export class ContextState {
  /** The owned `SSL_CTX *`. */
  readonly ptr: Ptr;
  readonly side: 'client' | 'server';
  readonly protocol: SslProtocol;
  sealed = false;
  verify: VerifyMode = 'off';
  verifyHostname = false;
  /** ALPN protocols, wire format, for a server context. */
  serverAlpn: { wire: Buffer; allowNoMatch: boolean } | null = null;
  keylogger: ((line: Buffer) => void) | null = null;
  sniCallback: ((hostname: string) => SslContext | null) | null = null;
  /** Sessions for resumption, by "host:port" (client contexts): bounded, LRU, expiring. */
  readonly sessions = new SessionCache();
  /** The public object (kept alive by whoever holds this state, e.g. a connection). */
  readonly handle: SslContext;

  constructor(handle: SslContext, side: 'client' | 'server', protocol: SslProtocol, ptr: Ptr) {
    this.handle = handle;
    this.side = side;
    this.protocol = protocol;
    this.ptr = ptr;
  }

  /** Refuses changes to a sealed context. */
  assertMutable(who: string): void {
    if (this.sealed) throw new SslError(`${who}: context is sealed; no further changes are allowed`, { code: 'ERR_SSL_SEALED' });
  }

  /**
   * Sets OpenSSL's key-log callback on this context (`on`) or removes it. OpenSSL reads it from a
   * connection's current context when a secret is made, so it is set while this context has a key
   * logger, and on a context an SNI callback switches to from a context that has one.
   */
  hookKeylog(on: boolean): void {
    if (trampolines && this.ptr) native('sslSetKeylogger').ssl.SSL_CTX_set_keylog_callback(this.ptr, on ? trampolines.keylog : null);
  }
}

const states = new WeakMap<object, ContextState>();
/** Listeners (and anything else) that carry a context, see {@link carryContext}. */
const carried = new WeakMap<object, SslContext>();
let constructing = false;

/**
 * The private state of a context made by this library (or undefined for anything else).
 *
 * @internal
 */
export function stateOf(ctx: SslContext): ContextState {
  const s = states.get(ctx);
  if (!s) throw new TypeError('not an SSL context made by openssl-ports');
  return s;
}

/**
 * Records that `carrier` (a listener) carries `ctx`: {@link contextOf} then accepts it.
 *
 * @internal
 */
export function carryContext(carrier: object, ctx: SslContext): void {
  carried.set(carrier, ctx);
}

/**
 * A context, or an object that carries one (see {@link carryContext}): what the context layer's
 * context-or-listener procedures accept; the layer above (src/api/) narrows it to `SslContext | SslListener`.
 *
 * @internal
 */
export type ContextTarget = SslContext | object;

/**
 * Makes a context (the one way to construct {@link SslContext}).
 *
 * @internal
 */
export function newContext(side: 'client' | 'server', protocol: SslProtocol, who: string): SslContext {
  constructing = true;
  try {
    return new (SslContext as unknown as new (side: 'client' | 'server', protocol: SslProtocol, who: string) => SslContext)(side, protocol, who);
  } finally {
    constructing = false;
  }
}

/**
 * A client or server context (`ssl-client-context?` / `ssl-server-context?`). Create one with
 * {@link sslMakeClientContext} or {@link sslMakeServerContext}; its OpenSSL `SSL_CTX` is freed when
 * the context is garbage collected. Its state is private: only the library's procedures change it
 * (and none does once it is sealed); `util.inspect` shows its side, protocol, verification and seal.
 *
 * @example
 * ```ts
 * import { sslMakeServerContext, SslContext } from 'openssl-ports';
 * const ctx: SslContext = sslMakeServerContext('tls13');
 * console.log(ctx.side, ctx.protocol); // 'server' 'tls13'
 * console.log(ctx); // SslContext { side: 'server', protocol: 'tls13', verify: 'off', verifyHostname: false, sealed: false }
 * ```
 */
export class SslContext {
  /** `'client'` or `'server'`. */
  get side(): 'client' | 'server' {
    return stateOf(this).side;
  }

  /** The protocol symbol the context was made with. */
  get protocol(): SslProtocol {
    return stateOf(this).protocol;
  }

  /** Use {@link sslMakeClientContext} / {@link sslMakeServerContext}. */
  private constructor(side: 'client' | 'server', protocol: SslProtocol, who: string) {
    if (!constructing) throw new TypeError('SslContext: use sslMakeClientContext or sslMakeServerContext to make a context');
    constructing = false;
    const { ssl } = native(who);
    const reason = unsupportedReason(protocol);
    if (reason) throw new SslError(`${who}: protocol '${protocol}' is not supported (${reason})`, { code: 'ERR_SSL_UNSUPPORTED_PROTOCOL' });
    const settings = protocolSettings(protocol);
    const ptr = ssl.SSL_CTX_new(side === 'client' ? ssl.TLS_client_method() : ssl.TLS_server_method());
    if (!ptr) throw opensslFailure(who, 'cannot create context');
    created('SSL_CTX', ptr);
    const state = new ContextState(this, side, protocol, ptr);
    states.set(this, state);
    registry.register(this, ptr);
    sessionsRegistry.register(this, state.sessions);

    if (settings.securityLevel !== null) ssl.SSL_CTX_set_security_level(ptr, settings.securityLevel);
    // At least level 2 (112-bit security: no RSA-1024, no SHA-1 signatures) whichever OpenSSL is in use:
    // Debian's configuration says so for the system library; Node's embedded copy defaults to 1.
    else if (ssl.SSL_CTX_get_security_level(ptr) < 2) ssl.SSL_CTX_set_security_level(ptr, 2);
    ssl.SSL_CTX_ctrl(ptr, SSL_CTRL_SET_MIN_PROTO_VERSION, settings.min, 0);
    ssl.SSL_CTX_ctrl(ptr, SSL_CTRL_SET_MAX_PROTO_VERSION, settings.max, 0);
    // OpenSSL's record buffers are freed by the idle sweep (engine/idle-buffers.ts), or after every record
    // where SSL_free_buffers cannot be trusted with a partly received record.
    ssl.SSL_CTX_ctrl(ptr, SSL_CTRL_MODE, (loadedFreeBuffersRefusesPartialRecords ? 0 : SSL_MODE_RELEASE_BUFFERS) | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, 0);
    if (trampolines) {
      // The key-log callback is set only while a key logger is (see hookKeylog): with it set, OpenSSL
      // formats every secret in hex (~80 sprintf calls a line, ten lines a TLS 1.3 handshake pair) and
      // calls into JavaScript even when nobody logs. The others are set on every context: after an SNI
      // switch OpenSSL reads them from the new context.
      if (side === 'server') {
        ssl.SSL_CTX_set_alpn_select_cb(ptr, trampolines.alpnSelect, 0);
        ssl.SSL_CTX_callback_ctrl(ptr, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, trampolines.servername);
      } else {
        ssl.SSL_CTX_ctrl(ptr, SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE, 0);
        ssl.SSL_CTX_sess_set_new_cb(ptr, trampolines.newSession);
      }
    }
    if (side === 'server') {
      // A renegotiation asked for by sslSetVerify must be a full handshake, or no certificate is requested.
      ssl.SSL_CTX_set_options(ptr, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
      // Ephemeral DHE with automatically chosen groups (the seed: enabled by default, no parameters).
      ssl.SSL_CTX_ctrl(ptr, SSL_CTRL_SET_DH_AUTO, 1, 0);
      ssl.SSL_CTX_ctrl(ptr, SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_SERVER, 0);
      const sid = Buffer.from(`openssl-ports:${process.pid}:${++sessionIdCounter}`);
      ssl.SSL_CTX_set_session_id_context(ptr, sid, Math.min(sid.length, 32));
    }
    // Nothing can be added either: `ctx.verify = 'off'` throws in strict code instead of looking as if it did something.
    Object.freeze(this);
  }
}

// What `util.inspect` shows (no pointer, nothing settable); defined here so that it stays out of the declarations.
Object.defineProperty(SslContext.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value: function inspectContext(this: SslContext, depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    const s = states.get(this);
    if (!s) return 'SslContext {}';
    const shown = { side: s.side, protocol: s.protocol, verify: s.verify, verifyHostname: s.verifyHostname, sealed: s.sealed };
    return `SslContext ${inspect(shown, options)}`;
  },
});

const sessionsRegistry = new FinalizationRegistry<SessionCache>((sessions) => sessions.clear());

/** @internal sets a context's protocol range (`max` 0 = the highest supported). */
export function setMinProtocol(ctx: SslContext, min: number, max: number): void {
  const { ssl } = native('setMinProtocol');
  const ptr = stateOf(ctx).ptr;
  ssl.SSL_CTX_ctrl(ptr, SSL_CTRL_SET_MIN_PROTO_VERSION, min, 0);
  ssl.SSL_CTX_ctrl(ptr, SSL_CTRL_SET_MAX_PROTO_VERSION, max, 0);
}

/** @internal an SslError built from OpenSSL's error queue. */
export function opensslFailure(who: string, what: string): SslError {
  const errors = drainErrors();
  const last = errors[errors.length - 1];
  const detail = errors.length ? ` (${errors.map((e) => e.reason).join('; ')})` : '';
  return new SslError(`${who}: ${what}${detail}`, { status: 'ssl', code: last ? reasonCode(last.reason) : null });
}

/**
 * Resolves a context-or-listener argument to the context's private state.
 *
 * @internal
 */
export function contextOf(who: string, v: unknown, opts: { listener?: boolean; side?: 'client' | 'server' } = {}): ContextState {
  const s = v !== null && typeof v === 'object' ? states.get(v) : undefined;
  if (s) {
    if (opts.side && s.side !== opts.side) throw typeError(who, 'context', `an SSL ${opts.side} context`, v);
    return s;
  }
  const carriedCtx = opts.listener && v !== null && typeof v === 'object' ? carried.get(v) : undefined;
  if (carriedCtx) return stateOf(carriedCtx);
  throw typeError(who, 'context', opts.listener ? 'an SSL context or listener' : `an SSL ${opts.side ?? 'client or server'} context`, v);
}

function checkProtocolArg(who: string, protocol: unknown): SslProtocol {
  if (!isProtocolSymbol(protocol)) {
    if (typeof protocol === 'string') throw new RangeError(`${who}: unknown protocol ${describeValue(protocol)}; expected one of 'secure', 'auto', 'sslv2-or-v3', 'sslv2', 'sslv3', 'tls', 'tls11', 'tls12', 'tls13'`);
    throw typeError(who, 'protocol', 'a protocol symbol string', protocol);
  }
  return protocol;
}

const CONTEXT_OPTIONS: Record<keyof ContextOptions, true> = { privateKey: true, certificateChain: true };

function checkOptions(who: string, options: unknown): ContextOptions {
  return assertKnownOptions(who, options, CONTEXT_OPTIONS) as ContextOptions;
}

/**
 * Makes a client context for {@link sslConnect} or `portsToSslPorts`. Insecure unless `'secure'` is
 * given or verification is turned on (see {@link sslSecureClientContext}): loading trusted
 * certificates alone verifies nothing; `sslSetVerify(ctx, true)` and `sslSetVerifyHostname(ctx, true)` do.
 * A client context keeps sessions for resumption, one per server name and address, at most 100 (the
 * least recently used is dropped first, and none is kept past its own lifetime).
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, sslLoadVerifySource, sslSetVerify, sslSetVerifyHostname } from 'openssl-ports';
 * const ctx = sslMakeClientContext('tls13', { privateKey: ['pem', 'certs/client.key'], certificateChain: 'certs/client-chain.pem' });
 * sslLoadVerifySource(ctx, 'certs/root-ca.pem');
 * sslSetVerify(ctx, true);
 * sslSetVerifyHostname(ctx, true);
 * ```
 */
export function sslMakeClientContext(protocol: SslProtocol = 'auto', options?: ContextOptions): SslContext {
  const who = 'sslMakeClientContext';
  const p = checkProtocolArg(who, protocol);
  const opts = checkOptions(who, options);
  if (p === 'secure' && (opts.privateKey || opts.certificateChain)) {
    const ctx = newContext('client', 'secure', who);
    applyCredentials(who, stateOf(ctx), opts);
    asCaller(who, () => makeSecure(ctx));
    return ctx;
  }
  if (p === 'secure') return asCaller(who, sslSecureClientContext);
  const ctx = newContext('client', p, who);
  applyCredentials(who, stateOf(ctx), opts);
  return ctx;
}

/**
 * Makes a server context for {@link sslListen} or `portsToSslPorts` in accept mode. For a server,
 * `'secure'` is the same as `'auto'`.
 *
 * @example
 * ```ts
 * import { sslMakeServerContext, sslListen } from 'openssl-ports';
 * const ctx = sslMakeServerContext('auto', { privateKey: ['pem', 'server.key'], certificateChain: 'server.pem' });
 * const listener = await sslListen(8443, 5, true, null, ctx);
 * ```
 */
export function sslMakeServerContext(protocol: SslProtocol = 'auto', options?: ContextOptions): SslContext {
  const who = 'sslMakeServerContext';
  const p = checkProtocolArg(who, protocol);
  const opts = checkOptions(who, options);
  const ctx = newContext('server', p === 'secure' ? 'auto' : p, who);
  applyCredentials(who, stateOf(ctx), opts);
  return ctx;
}

/**
 * Whether `v` is a client context.
 *
 * @example
 * ```ts
 * import { isSslClientContext, sslMakeClientContext } from 'openssl-ports';
 * isSslClientContext(sslMakeClientContext()); // true
 * ```
 */
export function isSslClientContext(v: unknown): v is SslContext {
  return v !== null && typeof v === 'object' && states.get(v)?.side === 'client';
}

/**
 * Whether `v` is a server context.
 *
 * @example
 * ```ts
 * import { isSslServerContext, sslMakeServerContext } from 'openssl-ports';
 * isSslServerContext(sslMakeServerContext()); // true
 * ```
 */
export function isSslServerContext(v: unknown): v is SslContext {
  return v !== null && typeof v === 'object' && states.get(v)?.side === 'server';
}

/**
 * Seals a context: every later change (loading keys, verification settings, ciphers …) is refused
 * with an {@link SslError}.
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, sslSealContext, sslSetCiphers } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * sslSealContext(ctx);
 * sslSetCiphers(ctx, 'DEFAULT'); // throws SslError: context is sealed
 * ```
 */
export function sslSealContext(context: SslContext): void {
  contextOf('sslSealContext', context).sealed = true;
}

/** @internal resolves a client protocol argument (symbol or context) to a client context. */
export function clientContextFor(who: string, v: unknown): SslContext {
  if (v !== null && typeof v === 'object') return contextOf(who, v, { side: 'client' }).handle;
  const p = checkProtocolArg(who, v);
  if (p === 'secure') return asCaller(who, sslSecureClientContext);
  return newContext('client', p, who);
}

/** @internal resolves a server protocol argument (symbol or context) to a server context. */
export function serverContextFor(who: string, v: unknown): SslContext {
  if (v !== null && typeof v === 'object') return contextOf(who, v, { side: 'server' }).handle;
  const p = checkProtocolArg(who, v);
  return newContext('server', p === 'secure' ? 'auto' : p, who);
}
