/**
 * `sslConnect`: a TLS client over TCP, the input and output ports of a verified (or not) connection.
 *
 * @module
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { alpnWire } from '../context/alpn-wire.js';
import { startConnection } from './start.js';
import { onreadOption, ReadRelay } from './socket-reads.js';
import { clientContextFor, type SslContext } from '../context/context.js';
import type { SslProtocol } from '../context/protocols.js';
import type { SslInputPort, SslOutputPort } from '../ports/ports.js';
import { SslError } from '../errors.js';
import { assertHostname, assertPortNumber, typeError } from '../assert.js';
import { abortError, checkAlpnList, checkOptionsObject, checkSignal, checkTimeout, DEFAULT_HANDSHAKE_TIMEOUT } from './options.js';

/**
 * Options of {@link sslConnect}.
 *
 * @example
 * ```ts
 * import { sslConnect } from 'openssl-ports';
 * // Connect to an address, verify the certificate for a name, offer h2 and http/1.1, give up after 5 s:
 * const [input, output] = await sslConnect('192.0.2.10', 443, 'secure', {
 *   host: 'www.example.com',
 *   alpn: [Buffer.from('h2'), Buffer.from('http/1.1')],
 *   timeout: 5_000,
 * });
 * ```
 */
export interface SslConnectOptions {
  /** ALPN protocols, most preferred first; each 1–255 bytes. */
  alpn?: Uint8Array[];
  /** Cancels the connection attempt (the seed's `ssl-connect/enable-break`). */
  signal?: AbortSignal;
  /**
   * Gives up when the TCP connection and handshake take longer than this (ms). Default: 30 s for the
   * handshake. `0`, `Infinity` or any value of 2**31 - 1 or more: no limit; negative: `RangeError`.
   */
  timeout?: number;
  /**
   * The server's name when `hostname` is only its address (Gerbil's `host:`), e.g. an IP: sent as SNI
   * instead of `hostname` and the name the certificate is verified against.
   */
  host?: string;
  /** Resume a session cached on the context for this host and port (default true). */
  reuseSession?: boolean;
  /** Ending the output port sends close_notify (default false: the seed's rule, nothing is sent). */
  shutdownOnClose?: boolean;
}

const CONNECT_OPTIONS: Record<keyof SslConnectOptions, true> = { alpn: true, signal: true, timeout: true, host: true, reuseSession: true, shutdownOnClose: true };

/**
 * The two ports of a connection: `[input, output]`.
 *
 * @example
 * ```ts
 * import { sslConnect, type SslPorts } from 'openssl-ports';
 * const ports: SslPorts = await sslConnect('example.com', 443, 'secure');
 * const [input, output] = ports;
 * ```
 */
export type SslPorts = [SslInputPort, SslOutputPort];

/**
 * Connects to `hostname:portNo` over TCP and performs a TLS handshake. `hostname` is sent as SNI
 * (unless it is an IP literal) and checked against the certificate when hostname verification is on.
 * The default `'auto'` protocol does not verify the server; use `'secure'` for a secure connection.
 *
 * @example
 * ```ts
 * import { sslConnect, sslGetAlpnSelected } from 'openssl-ports';
 * const [input, output] = await sslConnect('example.com', 443, 'secure', { alpn: [Buffer.from('http/1.1')] });
 * output.end('GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
 * for await (const chunk of input) process.stdout.write(chunk);
 * ```
 */
export async function sslConnect(
  hostname: string,
  portNo?: number,
  clientProtocol: SslProtocol | SslContext = 'auto',
  options: SslConnectOptions = {},
): Promise<SslPorts> {
  const who = 'sslConnect';
  assertHostname(who, 'hostname', hostname);
  let host = hostname;
  let port = portNo;
  if (port === undefined) {
    // The Chicken egg's form: the port may be part of the hostname ("host:port").
    const m = /^(.*):(\d+)$/.exec(hostname);
    if (!m) throw new TypeError(`${who}: portNo is required unless hostname has the form "host:port"`);
    host = m[1]!.replace(/^\[(.*)\]$/, '$1');
    port = Number(m[2]);
  }
  assertPortNumber(who, 'portNo', port, 1);
  const opts = checkOptionsObject(who, options, CONNECT_OPTIONS) as SslConnectOptions;
  const alpn = checkAlpnList(who, opts.alpn);
  alpnWire(who, alpn); // validate before connecting
  const signal = checkSignal(who, opts.signal);
  const timeout = checkTimeout(who, opts.timeout);
  if (opts.host !== undefined && opts.host !== null) assertHostname(who, 'host', opts.host);
  if (opts.shutdownOnClose !== undefined && typeof opts.shutdownOnClose !== 'boolean') throw typeError(who, 'shutdownOnClose', 'a boolean', opts.shutdownOnClose);
  const context = clientContextFor(who, clientProtocol);
  if (signal?.aborted) throw abortError(who, signal);

  const started = Date.now();
  // Ciphertext goes straight from the socket's one read buffer into OpenSSL (Node's onread option).
  const reads = new ReadRelay();
  const socket = await openSocket(who, host, port, timeout, signal, reads);
  // 0: no limit; otherwise what is left of the limit after the TCP connection.
  const left = timeout === null ? DEFAULT_HANDSHAKE_TIMEOUT : timeout === 0 ? 0 : Math.max(1, timeout - (Date.now() - started));
  const serverName = opts.host ?? host;
  return startConnection({
    who,
    mode: 'connect',
    context,
    hostname: serverName,
    alpn,
    // A session belongs to the server it was made with: its name as well as its address.
    sessionKey: serverName === host ? `${host}:${port}` : `${serverName}@${host}:${port}`,
    reuseSession: opts.reuseSession ?? true,
    input: socket,
    output: socket,
    socket,
    closeTransport: true,
    shutdownOnClose: opts.shutdownOnClose ?? false,
    handshakeTimeout: left,
    signal,
    externalReads: true,
    initialData: null,
    onConnection: (conn) => reads.attach(conn),
  });
}

/** Opens a TCP connection with TCP_NODELAY, honouring a timeout and an abort signal. */
export function openSocket(
  who: string,
  host: string,
  port: number,
  timeout: number | null,
  signal: AbortSignal | null,
  reads: ReadRelay | null = null,
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = tcpConnect({
      host,
      port,
      noDelay: true,
      allowHalfOpen: true,
      ...(reads ? { onread: onreadOption(reads) } : {}),
    });
    let timer: NodeJS.Timeout | null = null;
    const done = (err: SslError | null): void => {
      if (timer) clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        socket.on('error', () => {});
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onConnect = (): void => {
      socket.setNoDelay(true);
      done(null);
    };
    const onError = (e: NodeJS.ErrnoException): void =>
      done(new SslError(`${who}: connect failed (${e.code ?? ''}${e.code ? ': ' : ''}${e.message})`, { status: 'syscall', code: e.code ?? null, cause: e }));
    const onAbort = (): void => done(signal ? abortError(who, signal) : null);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== null && timeout > 0) {
      timer = setTimeout(() => done(new SslError(`${who}: connect failed (timed out after ${timeout} ms)`, { code: 'ETIMEDOUT' })), timeout);
    }
  });
}
