/**
 * A `connect` function for undici's `Agent`, `Client` and `Pool` (and so for `fetch` under
 * `setGlobalDispatcher`): TLS by openssl-ports, HTTP by undici.
 *
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { typeError } from '../assert.js';
import { connectWith, definedOnly } from './connect.js';
import { ContextCache, refuseUnsupported, type SslTlsOptions } from './tls-options.js';

/**
 * Options of {@link sslUndiciConnect}.
 *
 * @example
 * ```ts
 * import { sslUndiciConnect, type SslUndiciConnectOptions } from 'openssl-ports';
 * const options: SslUndiciConnectOptions = { allowH2: true, timeout: 5_000 };
 * const connect = sslUndiciConnect(options);
 * ```
 */
export interface SslUndiciConnectOptions extends SslTlsOptions {
  /**
   * Offer ALPN `h2` as well as `http/1.1` (give the dispatcher `allowH2: true` too, so that it speaks
   * HTTP/2 when the server picks it). Ignored when `ALPNProtocols` is given.
   */
  allowH2?: boolean;
  /** Time limit for the TCP connection and TLS handshake (ms; default 10 s, as undici's). */
  timeout?: number;
  /** TCP keep-alive on the connections (default true, initial delay 60 s, as undici's). */
  keepAlive?: boolean;
  /** The initial delay of TCP keep-alive probes (ms). */
  keepAliveInitialDelay?: number;
}

/**
 * What undici passes to `connect` for each new connection.
 *
 * @example
 * ```ts
 * import { sslUndiciConnect, type SslUndiciConnectParams } from 'openssl-ports';
 * const params: SslUndiciConnectParams = { protocol: 'https:', hostname: 'localhost', port: '8443' };
 * sslUndiciConnect()(params, (err, socket) => socket?.end());
 * ```
 */
export interface SslUndiciConnectParams {
  /** The origin's host name or address (no brackets). */
  hostname: string;
  /** The origin's host with its port. */
  host?: string;
  /** `'https:'` (TLS) or `'http:'` (plain TCP). */
  protocol: string;
  /** The port ('' for the protocol's default). */
  port: string | number;
  /** The name to send as SNI and verify (undici's `connect.servername` option), if any. */
  servername?: string | null;
  /** Refused when set. */
  localAddress?: string | null;
  /** A proxy's tunnel to run TLS over. */
  httpSocket?: Duplex;
}

const KEYS = new Set(['context', 'ca', 'rejectUnauthorized', 'servername', 'ALPNProtocols', 'allowH2', 'timeout', 'keepAlive', 'keepAliveInitialDelay']);

/**
 * Makes undici's `connect` option: `https:` origins get an openssl-ports TLS connection (verified
 * unless `rejectUnauthorized: false`, never the default), `http:` origins plain TCP. undici's own
 * per-connection parameters are honoured: `hostname`, `port`, `servername` (sent as SNI and
 * verified), `httpSocket` (TLS over a proxy's tunnel); `localAddress` is refused.
 *
 * @example
 * ```ts
 * import { Agent, fetch, setGlobalDispatcher } from 'undici';
 * import { sslUndiciConnect } from 'openssl-ports';
 * setGlobalDispatcher(new Agent({ connect: sslUndiciConnect({ allowH2: true }), allowH2: true })); // h2 offered by ALPN
 * const res = await fetch('https://example.com/');
 * ```
 */
export function sslUndiciConnect(
  options: SslUndiciConnectOptions = {},
): (params: SslUndiciConnectParams, callback: (err: Error | null, socket: Duplex | null) => void) => void {
  const who = 'sslUndiciConnect';
  if (options === null || typeof options !== 'object') throw typeError(who, 'options', 'an options object', options);
  for (const k of Object.keys(options)) {
    if (!KEYS.has(k)) {
      refuseUnsupported(who, options as Record<string, unknown>);
      throw new TypeError(`${who}: unknown option ${JSON.stringify(k)}`);
    }
  }
  const contexts = new ContextCache();
  contexts.get(who, options); // bad TLS options fail here, not at the first request
  const timeout = options.timeout ?? 10_000;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) throw typeError(who, 'timeout', 'a number of milliseconds', timeout);
  const alpn = options.ALPNProtocols ?? (options.allowH2 ? ['h2', 'http/1.1'] : ['http/1.1']);
  const keepAlive = options.keepAlive ?? true;
  const keepAliveDelay = options.keepAliveInitialDelay ?? 60_000;
  return (params, callback) => {
    let socket: Duplex & { setKeepAlive(enable: boolean, delay: number): unknown };
    try {
      if (params.localAddress) throw new TypeError(`${who}: localAddress is not supported (connections are made from the default address)`);
      if (params.protocol === 'https:') {
        socket = connectWith(who, contexts, {
          ...definedOnly({ context: options.context, ca: options.ca, rejectUnauthorized: options.rejectUnauthorized }),
          host: params.hostname,
          port: params.port || 443,
          servername: options.servername ?? params.servername ?? undefined,
          ALPNProtocols: alpn,
          connectTimeout: timeout,
          ...(params.httpSocket ? { socket: params.httpSocket } : {}),
        }, []);
      } else {
        socket = netConnect({ host: params.hostname, port: Number(params.port || 80), noDelay: true });
      }
    } catch (e) {
      queueMicrotask(() => callback(e as Error, null));
      return;
    }
    if (keepAlive) socket.setKeepAlive(true, keepAliveDelay);
    const ready = params.protocol === 'https:' ? 'secureConnect' : 'connect';
    const onReady = (): void => {
      socket.off('error', onError);
      callback(null, socket);
    };
    const onError = (err: Error): void => {
      socket.off(ready, onReady);
      callback(err, null);
    };
    socket.once(ready, onReady);
    socket.once('error', onError);
    if (params.protocol !== 'https:' && timeout) {
      const s = socket as Socket;
      const timer = setTimeout(() => s.destroy(Object.assign(new Error(`${who}: connect timed out after ${timeout} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), timeout);
      timer.unref();
      s.once('connect', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
    }
  };
}
