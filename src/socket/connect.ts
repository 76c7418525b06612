/**
 * Connecting socket views: `sslSocketConnect` (the `tls.connect` of this library: a socket at once,
 * `'secureConnect'` later) and `sslCreateConnection`, the `createConnection` function that
 * `http.request`, `https.request`, `http2.connect` and `ws` accept.
 *
 * @module
 */
import { Duplex } from 'node:stream';
import { sslConnect } from '../entry/client.js';
import { portsToSslPorts } from '../entry/wrapper.js';
import { typeError } from '../assert.js';
import { SslError } from '../errors.js';
import { pendingSocket, settleSocket, type SslSocket } from './ssl-socket.js';
import { alpnOption, ContextCache, refuseUnsupported, serverName, type SslTlsOptions } from './tls-options.js';

/**
 * Options of {@link sslSocketConnect}: where to connect, and node:tls-style TLS options.
 *
 * @example
 * ```ts
 * import { sslSocketConnect, type SslSocketConnectOptions } from 'openssl-ports';
 * const options: SslSocketConnectOptions = { host: 'example.com', port: 443, ALPNProtocols: ['http/1.1'] };
 * const socket = sslSocketConnect(options);
 * ```
 */
export interface SslSocketConnectOptions extends SslTlsOptions {
  /** Host name or address (default `'localhost'`). */
  host?: string;
  /** Same as `host` (as http's options spell it); wins over `host`. */
  hostname?: string;
  /** Port (default 443). */
  port?: number | string;
  /** Idle timeout of the socket (`socket.setTimeout(timeout)`), in ms, as for `tls.connect`. */
  timeout?: number;
  /** Time limit for the TCP connection and handshake (ms; default 30 s). */
  connectTimeout?: number;
  /** Run TLS over this connected socket (e.g. a proxy's tunnel) instead of connecting. */
  socket?: Duplex;
  /** As for `net.Socket` (default false). */
  allowHalfOpen?: boolean;
  /** Cancels the connection attempt. */
  signal?: AbortSignal;
}

/** The contexts of sslSocketConnect. */
const cache = new ContextCache();

/**
 * Connects like `tls.connect`: returns the {@link SslSocket} at once (`connecting` is true, writes
 * wait), and emits `'secureConnect'` once the handshake is done, or `'error'` when it fails. The
 * server is verified unless `rejectUnauthorized: false` (never the default) or a `context` that does
 * not verify.
 *
 * @example
 * ```ts
 * import { sslSocketConnect } from 'openssl-ports';
 * const socket = sslSocketConnect({ host: 'example.com', port: 443, ALPNProtocols: ['http/1.1'] });
 * socket.once('secureConnect', () => console.log(socket.alpnProtocol, socket.authorized));
 * socket.end('GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
 * ```
 */
export function sslSocketConnect(options: SslSocketConnectOptions): SslSocket {
  const who = 'sslSocketConnect';
  if (options === null || typeof options !== 'object') throw typeError(who, 'options', 'an options object', options);
  refuseUnsupported(who, options as Record<string, unknown>);
  for (const k of Object.keys(options)) if (!KEYS.has(k)) throw new TypeError(`${who}: unknown option ${JSON.stringify(k)}`);
  return connectWith(who, cache, options, []);
}

/** The keys of {@link SslSocketConnectOptions}. */
const KEYS = new Set(['context', 'ca', 'rejectUnauthorized', 'servername', 'ALPNProtocols', 'host', 'hostname', 'port', 'timeout', 'connectTimeout', 'socket', 'allowHalfOpen', 'signal']);

/** The shared body of the connectors: `options` are node:tls-style, some keys belong to the caller. */
export function connectWith(who: string, contexts: ContextCache, options: SslSocketConnectOptions, defaultAlpn: readonly string[]): SslSocket {
  if (options === null || typeof options !== 'object') throw typeError(who, 'options', 'an options object', options);
  refuseUnsupported(who, options as Record<string, unknown>);
  const host = hostOf(who, options);
  const port = portOf(who, options.port);
  const context = contexts.get(who, options);
  const alpn = alpnOption(who, options.ALPNProtocols ?? (defaultAlpn.length ? [...defaultAlpn] : undefined));
  const name = serverName(who, options.servername, host);
  const timeout = options.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0)) throw typeError(who, 'timeout', 'a number of milliseconds', timeout);
  const connectTimeout = options.connectTimeout;
  if (connectTimeout !== undefined && (typeof connectTimeout !== 'number' || Number.isNaN(connectTimeout) || connectTimeout < 0)) {
    throw typeError(who, 'connectTimeout', 'a number of milliseconds', connectTimeout);
  }
  const given = options.socket;
  if (given !== undefined && given !== null && !(given instanceof Duplex)) throw typeError(who, 'socket', 'a connected Duplex', given);
  const abort = new AbortController();
  const signals = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
  const socket = pendingSocket({ allowHalfOpen: options.allowHalfOpen ?? false, abort });
  if (timeout) socket.setTimeout(timeout);
  const connecting = given
    ? portsToSslPorts(given, given, { mode: 'connect', context, hostname: name, alpn, closeOriginal: true, signal: signals, ...(connectTimeout ? { timeout: connectTimeout } : {}) })
    : sslConnect(host, port, context, { alpn, host: name, signal: signals, ...(connectTimeout ? { timeout: connectTimeout } : {}) });
  connecting.then(
    (ports) => settleSocket(socket, ports, null),
    (err: Error) => {
      // The failure is the caller's procedure's (every field of the error, e.g. its code, is kept).
      if (err instanceof SslError) err.message = err.message.replace(/^(sslConnect|portsToSslPorts):/, `${who}:`);
      settleSocket(socket, null, err);
    },
  );
  return socket;
}

function hostOf(who: string, o: { host?: unknown; hostname?: unknown }): string {
  const h = o.hostname ?? o.host ?? 'localhost';
  if (typeof h !== 'string' || h === '') throw typeError(who, 'host', 'a host name or address', h);
  return h.replace(/^\[(.*)\]$/, '$1');
}

function portOf(who: string, p: unknown): number {
  if (p === undefined || p === null || p === '') return 443;
  const n = typeof p === 'string' ? Number(p) : p;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) throw typeError(who, 'port', 'a port number (1–65535)', p);
  return n;
}

/**
 * A `createConnection(options, callback?)` function, as `http.request`, `https.request`, `ws` and
 * (`(authority, options)`) `http2.connect` call it. `defaults` are node:tls-style options (a `context`,
 * `ca`, `ALPNProtocols`, …) under each call's own; a call from `http2.connect` offers ALPN `h2`.
 *
 * @example
 * ```ts
 * import https from 'node:https';
 * import http2 from 'node:http2';
 * import { sslCreateConnection } from 'openssl-ports';
 * const createConnection = sslCreateConnection({ ca: readFileSync('certs/root-ca.pem') });
 * https.get('https://localhost:8443/', { createConnection }, (res) => res.pipe(process.stdout));
 * const session = http2.connect('https://localhost:8443', { createConnection });
 * ```
 */
export function sslCreateConnection(
  defaults: SslSocketConnectOptions = {},
): (optionsOrAuthority: SslSocketConnectOptions | URL | string, optionsOrCallback?: unknown) => SslSocket {
  const who = 'sslCreateConnection';
  if (defaults === null || typeof defaults !== 'object') throw typeError(who, 'defaults', 'an options object', defaults);
  refuseUnsupported(who, defaults as Record<string, unknown>);
  const contexts = new ContextCache();
  return (first, second) => {
    if (first instanceof URL || typeof first === 'string') {
      // http2.connect(authority, options): the authority is a URL; h2 is the protocol.
      const url = first instanceof URL ? first : new URL(first);
      const o = (second && typeof second === 'object' ? second : {}) as SslSocketConnectOptions;
      return connectWith(who, contexts, { ...defaults, ...definedOnly(o), host: url.hostname, port: url.port || 443 }, ['h2']);
    }
    return connectWith(who, contexts, { ...defaults, ...definedOnly(first) }, []);
  };
}

/** The keys of `o` whose value is not undefined (http passes `servername: undefined` and the like). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}
