/**
 * Serving Node's `http` and `http2` servers (and so `ws`, which rides on `http`'s `'upgrade'`) from
 * an openssl-ports listener: each accepted connection becomes an {@link SslSocket} handed to the
 * server that its ALPN protocol names.
 *
 * @module
 */
import type { Server as HttpServer } from 'node:http';
import type { Http2Server, Http2SecureServer, ServerHttp2Session } from 'node:http2';
import { sslAccept, sslClose, SslListener } from '../entry/server.js';
import { SslError } from '../errors.js';
import { typeError } from '../assert.js';
import { SslSocket } from './ssl-socket.js';

/**
 * The servers {@link sslServe} dispatches to.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import http2 from 'node:http2';
 * import type { SslServeServers } from 'openssl-ports';
 * const servers: SslServeServers = { http: http.createServer(handler), http2: http2.createServer(handler) };
 * ```
 */
export interface SslServeServers {
  /** Gets HTTP/1.x connections (ALPN `http/1.1`, or none); a `ws` WebSocketServer attached to it gets its upgrades. */
  http?: HttpServer;
  /** Gets connections that chose ALPN `h2`: an unencrypted `http2.createServer()` (TLS is done here). */
  http2?: Http2Server | Http2SecureServer;
}

/**
 * A running {@link sslServe}: close it to stop.
 *
 * @example
 * ```ts
 * const serving: SslServing = sslServe(listener, { http: server });
 * await serving.close();
 * ```
 */
export interface SslServing {
  /** The sockets being served now. */
  readonly sockets: ReadonlySet<SslSocket>;
  /**
   * Stops accepting (closes the listener), closes idle HTTP/1 connections and asks HTTP/2 sessions to
   * finish (GOAWAY); resolves once every connection has closed.
   */
  close(): Promise<void>;
}

/**
 * Accepts connections from `listener` and serves each with `servers.http2` when ALPN chose `h2`,
 * else with `servers.http` (a connection for a server that is not given is closed). Give the
 * listener's context the ALPN protocols to offer (`sslSetServerAlpn(ctx, [h2, http/1.1])`).
 *
 * `req.socket` is the {@link SslSocket}: `remoteAddress`, `setTimeout` (so `keepAliveTimeout`,
 * `headersTimeout`, `server.timeout`), `getPeerCertificate()` work. `server.close()` on the http
 * server closes the listener and Node's idle connections (its callback gets `ERR_SERVER_NOT_RUNNING`,
 * as for any server that did not `listen()` itself); `serving.close()` waits for every connection.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import http2 from 'node:http2';
 * import { WebSocketServer } from 'ws';
 * import { sslListen, sslServe, sslSetServerAlpn } from 'openssl-ports';
 * const listener = await sslListen(8443, 64, true, null, ctx);
 * sslSetServerAlpn(ctx, [Buffer.from('h2'), Buffer.from('http/1.1')]);
 * const handler = (req, res) => res.end(`hello ${req.socket.remoteAddress}\n`);
 * const server = http.createServer(handler);
 * new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
 * const serving = sslServe(listener, { http: server, http2: http2.createServer(handler) });
 * ```
 */
export function sslServe(listener: SslListener, servers: SslServeServers): SslServing {
  const who = 'sslServe';
  if (!(listener instanceof SslListener)) throw typeError(who, 'listener', 'an SSL listener', listener);
  if (servers === null || typeof servers !== 'object') throw typeError(who, 'servers', 'an object { http, http2 }', servers);
  for (const k of Object.keys(servers)) if (k !== 'http' && k !== 'http2') throw new TypeError(`${who}: unknown server ${JSON.stringify(k)} (give http and/or http2)`);
  const { http, http2 } = servers;
  if (!http && !http2) throw new TypeError(`${who}: give servers.http and/or servers.http2`);
  const sockets = new Set<SslSocket>();
  const sessions = new Set<ServerHttp2Session>();
  let closing: Promise<void> | null = null;
  let arriving: SslSocket | null = null;
  const onSession = (s: ServerHttp2Session): void => {
    if (arriving) showAddresses(s, arriving);
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
    if (closing) s.close();
  };
  http2?.on('session', onSession);

  const serveOne = (socket: SslSocket): void => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) drained?.();
    });
    const server = socket.alpnProtocol === 'h2' ? http2 : http;
    if (!server) {
      socket.destroy();
      return;
    }
    arriving = socket;
    try {
      server.emit('connection', socket);
    } finally {
      arriving = null;
    }
  };

  const loop = async (): Promise<void> => {
    while (!listener.isClosed) {
      let ports;
      try {
        ports = await sslAccept(listener);
      } catch (e) {
        if (listener.isClosed) return;
        if (e instanceof SslError) continue; // one client's failed handshake
        throw e;
      }
      serveOne(new SslSocket(ports));
    }
  };
  void loop();

  let drained: (() => void) | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await sslClose(listener);
      http?.closeIdleConnections();
      for (const s of sessions) s.close();
      if (sockets.size > 0) await new Promise<void>((r) => (drained = r));
      http2?.off('session', onSession);
    })();
    return closing;
  };
  // server.close() on the http server (it emits 'close' at once, having closed its idle connections).
  http?.once('close', () => void close());
  return { sockets, close };
}

/**
 * http2 runs a session over a plain Duplex through its own JS socket, whose address getters would be
 * undefined: give that socket the addresses of ours (`req.socket.remoteAddress` for h2 requests).
 */
function showAddresses(session: ServerHttp2Session, socket: SslSocket): void {
  try {
    const inner = session.socket as unknown as Record<string, unknown>;
    if (socket.remoteAddress !== undefined) inner['_peername'] = { address: socket.remoteAddress, family: socket.remoteFamily, port: socket.remotePort };
    if (socket.localAddress !== undefined) inner['_sockname'] = socket.address();
  } catch {
    /* a Node without this shape: the addresses stay undefined */
  }
}
