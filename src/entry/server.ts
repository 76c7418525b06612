/**
 * The TLS server: `sslListen` binds a TCP listener carrying a server context; `sslAccept` takes the
 * next TCP connection and performs its handshake. A client that fails its handshake fails only that
 * `sslAccept`; the listener keeps serving.
 *
 * @module
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { startConnection } from './start.js';
import { adoptSocketReads, ReadRelay } from './socket-reads.js';
import { carryContext, serverContextFor, type SslContext } from '../context/context.js';
import type { SslProtocol } from '../context/protocols.js';
import { SslError } from '../errors.js';
import { assertHostname, assertInteger, assertPortNumber, typeError } from '../assert.js';
import { abortError, checkOptionsObject, checkSignal, checkTimeout, DEFAULT_HANDSHAKE_TIMEOUT } from './options.js';
import type { SslPorts } from './client.js';
import { gerbilListenArguments } from './listen-address.js';
import type { SslListenOptions } from '../gerbil.js';

/**
 * Options of {@link sslAccept}.
 *
 * @example
 * ```ts
 * import { sslAccept } from 'openssl-ports';
 * const [input, output] = await sslAccept(listener, { signal: AbortSignal.timeout(60_000), timeout: 5_000 });
 * ```
 */
export interface SslAcceptOptions {
  /** Cancels the wait and the handshake (the seed's `ssl-accept/enable-break`). */
  signal?: AbortSignal;
  /** Handshake time limit in ms (default: the listener's, 30 s); `0`, `Infinity` or 2**31 - 1 and more: no limit. */
  timeout?: number;
}

/** What the module's procedures (and `listenerServer`) reach inside a listener. */
interface ListenerInternals {
  readonly server: Server;
  nextSocket(who: string, signal: AbortSignal | null): Promise<Socket>;
  ready(): boolean;
  close(): Promise<void>;
}
let constructing = false;
let listenerInternals: (l: SslListener) => ListenerInternals;
let makeListener: (server: Server, context: SslContext) => SslListener;

/**
 * The TCP server of a listener (for the library's other modules).
 *
 * @internal
 */
export function listenerServer(l: SslListener): Server {
  return listenerInternals(l).server;
}

const ACCEPT_OPTIONS: Record<keyof SslAcceptOptions, true> = { signal: true, timeout: true };

/**
 * An SSL listener (`ssl-listener?`): a bound TCP listener with a server context. Iterate it with
 * `for await` to accept connections (a client whose handshake fails is skipped); dispose of it with
 * `await using`.
 *
 * @example
 * ```ts
 * import { sslListen } from 'openssl-ports';
 * await using listener = await sslListen(8443, 5, true, null, ctx);
 * for await (const [input, output] of listener) input.pipe(output);
 * ```
 */
export class SslListener implements AsyncIterable<SslPorts>, AsyncDisposable {
  readonly #context: SslContext;
  readonly #server: Server;
  #handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
  readonly #queue: Socket[] = [];
  readonly #waiters: Array<{ resolve: (s: Socket) => void; reject: (e: Error) => void }> = [];
  #closed = false;

  /** Use {@link sslListen}. */
  private constructor(server: Server, context: SslContext) {
    if (!constructing) throw new TypeError('SslListener: use sslListen to make a listener');
    constructing = false;
    this.#server = server;
    this.#context = context;
    carryContext(this, context);
    server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => {}); // until a Connection takes it over
      const w = this.#waiters.shift();
      if (w) w.resolve(socket);
      else {
        this.#queue.push(socket);
        // A connection that closes before it is accepted leaves the queue.
        socket.once('close', () => {
          const i = this.#queue.indexOf(socket);
          if (i >= 0) this.#queue.splice(i, 1);
        });
      }
    });
    server.on('error', () => {});
    // Nothing can be added: assigning to a field that is not there throws in strict code.
    Object.freeze(this);
  }

  /** The server context of the listener. */
  get context(): SslContext {
    return this.#context;
  }

  /** Whether the listener is closed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Handshake time limit for accepted connections (ms, default 30 s). The rule of every timeout option:
   * `0`, `Infinity` or any value of 2**31 - 1 or more means no limit (read back as 0); a negative value
   * is a `RangeError`.
   */
  get handshakeTimeout(): number {
    return this.#handshakeTimeout;
  }

  /** Sets the handshake time limit (a `RangeError` for a negative value, as for every timeout option). */
  set handshakeTimeout(ms: number) {
    const who = 'SslListener.handshakeTimeout';
    if (typeof ms !== 'number') throw typeError(who, 'handshakeTimeout', 'a number of milliseconds', ms);
    this.#handshakeTimeout = checkTimeout(who, ms, 'handshakeTimeout') ?? 0;
  }

  /** The next TCP connection. */
  #nextSocket(who: string, signal: AbortSignal | null): Promise<Socket> {
    if (this.#closed) return Promise.reject(new SslError(`${who}: the listener is closed`, { code: 'ERR_SSL_LISTENER_CLOSED' }));
    const s = this.#queue.shift();
    if (s) return Promise.resolve(s);
    return new Promise<Socket>((resolve, reject) => {
      const waiter = {
        resolve: (sock: Socket) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(sock);
        },
        reject: (e: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(abortError(who, signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * Accepts the next connection: `sslAccept(this, options)` (Gerbil's `ServerSocket-accept`).
   *
   * @example
   * ```ts
   * const [input, output] = await listener.accept({ timeout: 5_000 });
   * ```
   */
  accept(options?: SslAcceptOptions): Promise<SslPorts> {
    return sslAccept(this, options);
  }

  /**
   * Closes the listener: pending accepts fail, queued connections are dropped, accepted ones live on
   * (`sslClose`; Gerbil's `ServerSocket-close`).
   *
   * @example
   * ```ts
   * await listener.close();
   * ```
   */
  close(): Promise<void> {
    return this.#close();
  }

  /** Closes the listener: pending accepts fail, queued connections are dropped. */
  #close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new SslError('sslAccept: the listener is closed', { code: 'ERR_SSL_LISTENER_CLOSED' }));
    for (const s of this.#queue.splice(0)) s.destroy();
    // Stop listening now; connections already accepted live on (server.close's callback would wait for them).
    this.#server.close();
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Accepts connections one after another until the listener is closed; failed handshakes are skipped. */
  async *[Symbol.asyncIterator](): AsyncIterator<SslPorts> {
    while (!this.#closed) {
      try {
        yield await sslAccept(this);
      } catch (e) {
        if (this.#closed) return;
        if (e instanceof SslError) continue; // one client's failed handshake does not stop the loop
        throw e;
      }
    }
  }

  /** Closes the listener (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#close();
  }

  static {
    listenerInternals = (l) => ({
      server: l.#server,
      nextSocket: (who, signal) => l.#nextSocket(who, signal),
      ready: () => l.#queue.length > 0,
      close: () => l.#close(),
    });
    makeListener = (server, context) => {
      constructing = true;
      const l = new SslListener(server, context);
      return l;
    };
  }
}

/** The largest backlog: the C `int` the kernel's listen() takes. */
const MAX_BACKLOG = 2 ** 31 - 1;

// What `util.inspect` shows; defined here so that it stays out of the declarations.
Object.defineProperty(SslListener.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value: function inspectListener(this: SslListener, _depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    const a = listenerInternals(this).server.address();
    const shown = {
      address: a && typeof a === 'object' ? a.address : null,
      port: a && typeof a === 'object' ? a.port : null,
      closed: this.isClosed,
      handshakeTimeout: this.handshakeTimeout,
    };
    return `SslListener ${inspect(shown, options)}`;
  },
});

function checkListener(who: string, v: unknown): SslListener {
  if (v instanceof SslListener) return v;
  throw typeError(who, 'listener', 'an SSL listener', v);
}

/**
 * Listens on `portNo` (0 picks a free port; see {@link sslAddresses}) and resolves once bound.
 * `serverProtocol` is a protocol symbol or a server context. The Chicken egg's argument order
 * `(port, backlog, hostname, context)` is also accepted. `reuse` is accepted for compatibility: Node
 * always sets SO_REUSEADDR on listening sockets, so a restarted server can rebind at once.
 *
 * Gerbil's form is `sslListen(addr, { context, backlog })` with an address string (`'host:port'`,
 * `'[::1]:port'`, `':port'` for every address; port 0 picks one) and a required context; the backlog
 * defaults to Gerbil's 10.
 *
 * @example
 * ```ts
 * import { sslListen, sslLoadCertificateChain, sslLoadPrivateKey, sslAccept } from 'openssl-ports';
 * const listener = await sslListen(0, 5, true, '127.0.0.1');
 * sslLoadCertificateChain(listener, 'certs/test.pem');
 * sslLoadPrivateKey(listener, 'certs/test.pem');
 * const [input, output] = await sslAccept(listener);
 * ```
 */
export async function sslListen(addr: string, options: SslListenOptions): Promise<SslListener>;
export async function sslListen(
  portNo: number,
  queueK?: number,
  reuse?: boolean | string | null,
  hostname?: string | null | SslProtocol | SslContext,
  serverProtocol?: SslProtocol | SslContext,
): Promise<SslListener>;
export async function sslListen(
  portNo: number | string,
  queueK: number | SslListenOptions = 5,
  reuse: boolean | string | null = false,
  hostname: string | null | SslProtocol | SslContext = null,
  serverProtocol: SslProtocol | SslContext = 'auto',
): Promise<SslListener> {
  const who = 'sslListen';
  if (typeof portNo === 'string') {
    // Gerbil's form: a thin layer over the Racket one.
    if (arguments.length > 2) throw new TypeError(`${who}: the (addr, options) form takes two arguments`);
    const g = gerbilListenArguments(who, portNo, queueK);
    return sslListen(g.port, g.backlog, false, g.host, g.context);
  }
  assertPortNumber(who, 'portNo', portNo, 0);
  assertInteger(who, 'queueK', queueK, 0, MAX_BACKLOG);
  let host: string | null;
  let protocol: unknown;
  if (typeof reuse === 'string' || (reuse === null && arguments.length >= 4 && typeof hostname !== 'string')) {
    // Chicken egg order: (port, backlog, hostname, ctx)
    host = reuse;
    protocol = arguments.length >= 4 ? hostname ?? 'auto' : 'auto';
  } else {
    if (hostname !== null && typeof hostname !== 'string') throw typeError(who, 'hostname', 'a string or null', hostname);
    host = hostname;
    protocol = serverProtocol;
  }
  if (host !== null) assertHostname(who, 'hostname', host);
  const context = serverContextFor(who, protocol);
  const server = createServer({ noDelay: true, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void =>
      reject(new SslError(`${who}: listen failed (${e.code ?? e.message})`, { status: 'syscall', code: e.code ?? null, cause: e }));
    server.once('error', onError);
    server.listen({ port: portNo, host: host ?? undefined, backlog: queueK || 1 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return makeListener(server, context);
}

/**
 * Accepts the next connection on `listener` and performs the TLS handshake.
 *
 * @example
 * ```ts
 * import { sslAccept } from 'openssl-ports';
 * const [input, output] = await sslAccept(listener, { signal: AbortSignal.timeout(10_000) });
 * input.pipe(output); // echo
 * ```
 */
export async function sslAccept(listener: SslListener, options: SslAcceptOptions = {}): Promise<SslPorts> {
  const who = 'sslAccept';
  const l = checkListener(who, listener);
  const opts = checkOptionsObject(who, options, ACCEPT_OPTIONS) as SslAcceptOptions;
  const signal = checkSignal(who, opts.signal);
  const timeout = checkTimeout(who, opts.timeout);
  if (signal?.aborted) throw abortError(who, signal);
  const socket = await listenerInternals(l).nextSocket(who, signal);
  // Ciphertext goes straight from the shared read buffer into OpenSSL, as on client sockets.
  const reads = new ReadRelay();
  const early = adoptSocketReads(socket, reads);
  return startConnection({
    who,
    mode: 'accept',
    context: l.context,
    hostname: null,
    input: socket,
    output: socket,
    socket,
    closeTransport: true,
    shutdownOnClose: false,
    handshakeTimeout: timeout ?? l.handshakeTimeout,
    signal,
    externalReads: early !== null,
    initialData: early && early.length ? Buffer.concat(early) : null,
    onConnection: (conn) => reads.attach(conn),
  });
}

/**
 * Closes a listener; connections already accepted are not affected.
 *
 * @example
 * ```ts
 * import { sslClose } from 'openssl-ports';
 * await sslClose(listener);
 * ```
 */
export async function sslClose(listener: SslListener): Promise<void> {
  await listenerInternals(checkListener('sslClose', listener)).close();
}

/**
 * Whether `v` is an SSL listener.
 *
 * @example
 * ```ts
 * import { sslListen, isSslListener } from 'openssl-ports';
 * isSslListener(await sslListen(0)); // true
 * ```
 */
export function isSslListener(v: unknown): v is SslListener {
  return v instanceof SslListener;
}

/**
 * The port number a listener is bound to (the Chicken egg's `ssl-listener-port`).
 *
 * @example
 * ```ts
 * import { sslListen, sslListenerPort } from 'openssl-ports';
 * const port = sslListenerPort(await sslListen(0)); // e.g. 40123
 * ```
 */
export function sslListenerPort(listener: SslListener): number {
  const l = checkListener('sslListenerPort', listener);
  const a = listenerInternals(l).server.address() as AddressInfo | null;
  if (!a) throw new SslError('sslListenerPort: the listener is closed', { code: 'ERR_SSL_LISTENER_CLOSED' });
  return a.port;
}

/**
 * The file descriptor of a listener's socket (the Chicken egg's `ssl-listener-fileno`), or -1 where
 * the platform does not expose one.
 *
 * @example
 * ```ts
 * import { sslListen, sslListenerFileno } from 'openssl-ports';
 * sslListenerFileno(await sslListen(0)); // e.g. 23
 * ```
 */
export function sslListenerFileno(listener: SslListener): number {
  const l = checkListener('sslListenerFileno', listener);
  const handle = (listenerInternals(l).server as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

/**
 * Whether a connection is waiting, so that `sslAccept` would not wait for a TCP connection (the
 * Chicken egg's `ssl-listener-accept-ready?`; the handshake may still take time).
 *
 * @example
 * ```ts
 * import { sslListenerAcceptReady, sslAccept } from 'openssl-ports';
 * if (sslListenerAcceptReady(listener)) await sslAccept(listener);
 * ```
 */
export function sslListenerAcceptReady(listener: SslListener): boolean {
  return listenerInternals(checkListener('sslListenerAcceptReady', listener)).ready();
}
