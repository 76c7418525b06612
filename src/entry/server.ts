/**
 * The TLS server: `sslListen` binds a TCP listener carrying a server context, accepts TCP
 * connections as they come and runs their handshakes concurrently; `sslAccept` hands out the
 * connections whose handshake completed. A client that fails its handshake affects only itself; the
 * listener keeps serving.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { startConnection } from './start.js';
import type { Connection } from '../engine/connection.js';
import { adoptSocketReads, ReadRelay } from './socket-reads.js';
import { carryContext, serverContextFor, type SslContext } from '../context/context.js';
import type { SslProtocol } from '../context/protocols.js';
import { SslError } from '../errors.js';
import { assertHostname, assertInteger, assertPortNumber, typeError } from '../assert.js';
import { abortError, checkOptionsObject, checkSignal, checkTimeout, DEFAULT_HANDSHAKE_TIMEOUT, MAX_BACKLOG } from './options.js';
import type { SslPorts } from './client.js';
import { gerbilListenArguments } from './listen-address.js';
import type { GerbilListenOptions } from './listen-address.js';

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
  /** Cancels the wait (and, with `handshakes: 'in-accept'`, the handshake): the seed's `ssl-accept/enable-break`. */
  signal?: AbortSignal;
  /**
   * Handshake time limit in ms for the connection this call takes (default: the listener's
   * `handshakeTimeout`, 30 s). With concurrent handshakes it limits the handshake of the TCP
   * connection this call claimed (the oldest one not claimed yet when it was called, else the next to
   * arrive); the wait for a connection itself has no limit (use `signal`). `0`, `Infinity` or
   * 2**31 - 1 and more: no limit.
   */
  timeout?: number;
}

const ACCEPT_OPTIONS: Record<keyof SslAcceptOptions, true> = { signal: true, timeout: true };

/** What the module's procedures (and `listenerServer`) reach inside a listener. */
interface ListenerInternals {
  readonly server: Server;
  nextSocket(who: string, signal: AbortSignal | null): Promise<Socket>;
  nextConnection(who: string, signal: AbortSignal | null, timeout: number | null): Promise<SslPorts>;
  ready(): boolean;
  close(): Promise<void>;
}
let constructing = false;
let listenerInternals: (l: SslListener) => ListenerInternals;
let makeListener: (server: Server, context: SslContext, options: SslListenOptions) => SslListener;

/**
 * The TCP server of a listener (for the library's other modules).
 *
 * @internal
 */
export function listenerServer(l: SslListener): Server {
  return listenerInternals(l).server;
}

/**
 * Options of {@link sslListen} (its last argument), also settable later as properties of the listener.
 *
 * @example
 * ```ts
 * import { sslListen } from 'openssl-ports';
 * const listener = await sslListen(8443, 511, true, null, ctx, { maxHandshakes: 2048, handshakeTimeout: 10_000, shutdownOnClose: true });
 * ```
 */
export interface SslListenOptions {
  /** How long a client may take from its TCP connection to the end of its handshake (ms; 0 = no limit; default 30 s). */
  handshakeTimeout?: number;
  /**
   * The most connections in a handshake or handshaken and waiting for `sslAccept` at once (default
   * {@link DEFAULT_MAX_HANDSHAKES}); further TCP connections wait, paused, for a free place (their
   * handshake time limit runs from their TCP connection).
   */
  maxHandshakes?: number;
  /** Ending an accepted connection's output port sends close_notify (default false, the seed's rule). */
  shutdownOnClose?: boolean;
  /**
   * `'concurrent'` (default): TCP connections are accepted at once and their handshakes run
   * side by side; `sslAccept` hands out connections in the order their handshakes complete.
   * `'in-accept'`: the seed's rule, one handshake at a time inside each `sslAccept`, which takes the
   * next TCP connection and fails when its handshake fails.
   */
  handshakes?: 'concurrent' | 'in-accept';
}

/**
 * The default of {@link SslListenOptions.maxHandshakes}: well above what one process serves at once.
 *
 * @example
 * ```ts
 * import { sslListen, DEFAULT_MAX_HANDSHAKES } from 'openssl-ports';
 * const listener = await sslListen(8443, 511, true, null, ctx, { maxHandshakes: DEFAULT_MAX_HANDSHAKES * 2 });
 * ```
 */
export const DEFAULT_MAX_HANDSHAKES = 4096;

/**
 * What a `'tlsClientError'` listener of an {@link SslListener} gets besides the error: where the
 * client came from.
 *
 * @example
 * ```ts
 * listener.on('tlsClientError', (err: SslError, info: SslClientErrorInfo) => console.error(info.remoteAddress, err.message));
 * ```
 */
export interface SslClientErrorInfo {
  /** The client's address (undefined when the socket was gone before it was known). */
  remoteAddress: string | undefined;
  /** The client's port. */
  remotePort: number | undefined;
}

/** A TCP connection of the listener from its arrival until its handshake is over. */
interface Handshake {
  socket: Socket;
  acceptedAt: number;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** The connection once its handshake started. */
  conn: Connection | null;
  /** The sslAccept call this connection belongs to in the seed's sense, while that call waits. */
  claim: AcceptWaiter | null;
}

/** A waiting sslAccept call (concurrent handshakes). */
interface AcceptWaiter {
  resolve: (ports: SslPorts) => void;
  reject: (e: Error) => void;
  claimed: Handshake | null;
  timeout: number | null;
  timer: NodeJS.Timeout | null;
}

const listenerClosed = (who: string): SslError => new SslError(`${who}: the listener is closed`, { code: 'ERR_SSL_LISTENER_CLOSED' });

/**
 * An SSL listener (`ssl-listener?`): a bound TCP listener with a server context. It accepts TCP
 * connections as they come and runs their handshakes concurrently (see {@link SslListenOptions});
 * `sslAccept` and `for await` hand out the connections whose handshake succeeded, in the order they
 * completed. Dispose of it with `await using`.
 *
 * A failed handshake (a client that sends garbage, fails verification, times out or leaves) is
 * emitted as `'tlsClientError'` `(err: SslError, info: SslClientErrorInfo)`, as Node's `tls.Server`
 * does. Without a listener for that event, it rejects the `sslAccept` call that was waiting for that
 * client (as the seed's `sslAccept` would fail), and is otherwise dropped: it never reaches a later
 * `sslAccept`. The listener never emits `'error'`.
 *
 * @example
 * ```ts
 * import { sslListen } from 'openssl-ports';
 * await using listener = await sslListen(8443, 511, true, null, ctx);
 * listener.on('tlsClientError', (err) => console.error(err.message));
 * for await (const [input, output] of listener) input.pipe(output);
 * ```
 */
export class SslListener extends EventEmitter implements AsyncIterable<SslPorts>, AsyncDisposable {
  readonly #context: SslContext;
  readonly #server: Server;
  #handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
  #maxHandshakes = DEFAULT_MAX_HANDSHAKES;
  #shutdownOnClose = false;
  readonly #handshakes: 'concurrent' | 'in-accept';
  // in-accept mode: TCP connections waiting for sslAccept, and sslAccept calls waiting for them
  readonly #queue: Socket[] = [];
  readonly #waiters: Array<{ resolve: (s: Socket) => void; reject: (e: Error) => void }> = [];
  // concurrent mode
  readonly #pending: Handshake[] = [];
  readonly #inFlight = new Set<Handshake>();
  readonly #completed: SslPorts[] = [];
  /** The 'close' listener of each completed connection's input port while it waits in `completed`. */
  readonly #leaveQueue = new WeakMap<SslPorts, () => void>();
  readonly #acceptWaiters: AcceptWaiter[] = [];
  #closed = false;

  /** Use {@link sslListen}. */
  private constructor(server: Server, context: SslContext, options: SslListenOptions = {}) {
    if (!constructing) throw new TypeError('SslListener: use sslListen to make a listener');
    constructing = false;
    super();
    this.#server = server;
    this.#context = context;
    carryContext(this, context);
    this.#handshakes = options.handshakes ?? 'concurrent';
    if (options.handshakeTimeout !== undefined) this.#handshakeTimeout = options.handshakeTimeout;
    if (options.maxHandshakes !== undefined) this.#maxHandshakes = options.maxHandshakes;
    if (options.shutdownOnClose !== undefined) this.#shutdownOnClose = options.shutdownOnClose;
    server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => {}); // until a Connection takes it over
      if (this.handshakes === 'concurrent') {
        this.#arrived(socket);
        return;
      }
      const w = this.#waiters.shift();
      if (w) w.resolve(socket);
      else {
        this.#queue.push(socket);
        // A connection that closes (or half-closes) before it is accepted leaves the queue.
        const leave = (): void => {
          const i = this.#queue.indexOf(socket);
          if (i >= 0) {
            this.#queue.splice(i, 1);
            socket.destroy();
          }
        };
        socket.once('close', leave);
        socket.once('end', leave);
      }
    });
    server.on('error', () => {});
  }

  /** The server context of the listener. */
  get context(): SslContext {
    return this.#context;
  }

  /**
   * Handshake time limit for accepted connections (ms, default 30 s), counted from the TCP
   * connection. The rule of every timeout option: `0`, `Infinity` or any value of 2**31 - 1 or more
   * means no limit (read back as 0); a negative value is a `RangeError`.
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

  /** The most connections in a handshake or handshaken and waiting for `sslAccept` at once (an integer ≥ 1). */
  get maxHandshakes(): number {
    return this.#maxHandshakes;
  }

  /** Sets the limit (a `RangeError` below 1); waiting connections start their handshakes if there is room now. */
  set maxHandshakes(n: number) {
    assertInteger('SslListener.maxHandshakes', 'maxHandshakes', n, 1, Number.MAX_SAFE_INTEGER);
    this.#maxHandshakes = n;
    this.#pump();
  }

  /** Whether ending an accepted connection's output port sends close_notify. */
  get shutdownOnClose(): boolean {
    return this.#shutdownOnClose;
  }

  /** Sets whether ending an accepted connection's output port sends close_notify (later accepts). */
  set shutdownOnClose(on: boolean) {
    if (typeof on !== 'boolean') throw typeError('SslListener.shutdownOnClose', 'shutdownOnClose', 'a boolean', on);
    this.#shutdownOnClose = on;
  }

  /** How handshakes are run: concurrently (default) or one at a time inside `sslAccept` (the seed's). */
  get handshakes(): 'concurrent' | 'in-accept' {
    return this.#handshakes;
  }

  /** Whether the listener is closed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  // ---- concurrent handshakes ----

  #arrived(socket: Socket): void {
    const hs: Handshake = {
      socket,
      acceptedAt: Date.now(),
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      conn: null,
      claim: null,
    };
    const w = this.#acceptWaiters.find((x) => x.claimed === null);
    if (w) this.#claim(w, hs);
    if (this.#inFlight.size + this.#completed.length < this.maxHandshakes) this.#startHandshake(hs);
    else {
      // Waits, paused, for a free place; one that leaves meanwhile is dropped.
      socket.pause();
      this.#pending.push(hs);
      const leave = (): void => {
        const i = this.#pending.indexOf(hs);
        if (i < 0) return;
        this.#pending.splice(i, 1);
        socket.destroy();
        this.#failed(hs, new SslError('sslAccept: accept failed (connection closed by peer during handshake)', { status: 'syscall', code: 'ECONNRESET' }));
      };
      socket.once('close', leave);
      socket.once('end', leave);
    }
  }

  #claim(w: AcceptWaiter, hs: Handshake): void {
    w.claimed = hs;
    hs.claim = w;
    if (w.timeout !== null && w.timeout > 0) {
      const t = w.timeout;
      w.timer = setTimeout(() => {
        w.timer = null;
        if (hs.claim !== w) return;
        const err = new SslError(`sslAccept: accept failed (handshake timed out after ${t} ms)`, { code: 'ETIMEDOUT' });
        if (hs.conn) hs.conn.fail(err);
        else {
          const i = this.#pending.indexOf(hs);
          if (i >= 0) this.#pending.splice(i, 1);
          hs.socket.destroy();
          this.#failed(hs, err);
        }
      }, t);
    }
  }

  #unclaim(w: AcceptWaiter): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    if (w.claimed && w.claimed.claim === w) w.claimed.claim = null;
    w.claimed = null;
  }

  #startHandshake(hs: Handshake): void {
    this.#inFlight.add(hs);
    const socket = hs.socket;
    socket.resume();
    const reads = new ReadRelay();
    const early = adoptSocketReads(socket, reads);
    const limit = this.handshakeTimeout > 0 ? Math.max(1, this.handshakeTimeout - (Date.now() - hs.acceptedAt)) : 0;
    startConnection({
      who: 'sslAccept',
      mode: 'accept',
      context: this.context,
      hostname: null,
      input: socket,
      output: socket,
      socket,
      closeTransport: true,
      shutdownOnClose: this.shutdownOnClose,
      handshakeTimeout: limit,
      signal: null,
      externalReads: early !== null,
      initialData: early && early.length ? Buffer.concat(early) : null,
      onConnection: (conn) => {
        hs.conn = conn;
        reads.attach(conn);
      },
    }).then(
      (ports) => this.#succeeded(hs, ports),
      (e: unknown) => this.#failed(hs, e instanceof SslError ? e : new SslError(`sslAccept: accept failed (${String(e)})`)),
    );
  }

  /** Starts waiting handshakes while there is room. */
  #pump(): void {
    while (!this.#closed && this.#pending.length && this.#inFlight.size + this.#completed.length < this.maxHandshakes) {
      this.#startHandshake(this.#pending.shift()!);
    }
  }

  #succeeded(hs: Handshake, ports: SslPorts): void {
    this.#inFlight.delete(hs);
    if (hs.claim) this.#unclaim(hs.claim);
    if (this.#closed) {
      for (const p of ports) p.destroy();
      return;
    }
    // The longest-waiting call gets the first connection to complete.
    const w = this.#acceptWaiters.shift();
    if (w) {
      this.#unclaim(w);
      w.resolve(ports);
    } else {
      this.#completed.push(ports);
      // A connection that fails or is reset while it waits to be accepted leaves the queue.
      const leave = (): void => {
        const i = this.#completed.indexOf(ports);
        if (i < 0) return;
        this.#completed.splice(i, 1);
        ports[1].destroy();
        this.#pump();
      };
      this.#leaveQueue.set(ports, leave);
      ports[0].once('close', leave);
    }
    this.#pump();
  }

  #failed(hs: Handshake, err: SslError): void {
    this.#inFlight.delete(hs);
    const w = hs.claim;
    if (w) this.#unclaim(w);
    this.#pump();
    if (this.#closed) return;
    if (this.listenerCount('tlsClientError') > 0) {
      const info: SslClientErrorInfo = { remoteAddress: hs.remoteAddress, remotePort: hs.remotePort };
      this.emit('tlsClientError', err, info);
      return;
    }
    if (w) {
      const i = this.#acceptWaiters.indexOf(w);
      if (i >= 0) this.#acceptWaiters.splice(i, 1);
      w.reject(err);
    }
  }

  /** sslAccept with concurrent handshakes: the next connection whose handshake completed. */
  #nextConnection(who: string, signal: AbortSignal | null, timeout: number | null): Promise<SslPorts> {
    if (this.#closed) return Promise.reject(listenerClosed(who));
    const ready = this.#completed.shift();
    if (ready) {
      // (The listener would keep the output port reachable from the input port.)
      const leave = this.#leaveQueue.get(ready);
      if (leave) ready[0].off('close', leave);
      this.#pump();
      return Promise.resolve(ready);
    }
    return new Promise<SslPorts>((resolve, reject) => {
      const w: AcceptWaiter = {
        resolve: (ports) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(ports);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        claimed: null,
        timeout,
        timer: null,
      };
      const onAbort = (): void => {
        const i = this.#acceptWaiters.indexOf(w);
        if (i >= 0) this.#acceptWaiters.splice(i, 1);
        this.#unclaim(w);
        reject(abortError(who, signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#acceptWaiters.push(w);
      // In the seed's sense this call takes the oldest TCP connection nobody has claimed yet.
      const claimed = new Set<Handshake>();
      for (const x of this.#acceptWaiters) if (x.claimed) claimed.add(x.claimed);
      const hs = [...this.#inFlight, ...this.#pending].find((h) => h.claim === null && !claimed.has(h));
      if (hs) this.#claim(w, hs);
    });
  }

  // ---- in-accept mode ----

  /** The next TCP connection (in-accept mode). */
  #nextSocket(who: string, signal: AbortSignal | null): Promise<Socket> {
    if (this.#closed) return Promise.reject(listenerClosed(who));
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
   * Closes the listener: pending accepts fail, queued connections and handshakes in progress are
   * dropped, accepted ones live on (`sslClose`; Gerbil's `ServerSocket-close`).
   *
   * @example
   * ```ts
   * await listener.close();
   * ```
   */
  close(): Promise<void> {
    return this.#close();
  }

  #close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(listenerClosed('sslAccept'));
    for (const w of this.#acceptWaiters.splice(0)) {
      this.#unclaim(w);
      w.reject(listenerClosed('sslAccept'));
    }
    for (const s of this.#queue.splice(0)) s.destroy();
    for (const hs of this.#pending.splice(0)) hs.socket.destroy();
    for (const hs of [...this.#inFlight]) {
      if (hs.conn) hs.conn.fail(listenerClosed('sslAccept'));
      else hs.socket.destroy();
    }
    for (const ports of this.#completed.splice(0)) for (const p of ports) p.destroy();
    // Stop listening now; connections already accepted live on (server.close's callback would wait for them).
    this.#server.close();
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Accepts connections one after another until the listener is closed. A failed handshake is
   * skipped (it goes to `'tlsClientError'` listeners, see the class).
   */
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
      nextConnection: (who, signal, timeout) => l.#nextConnection(who, signal, timeout),
      ready: () => (l.#handshakes === 'concurrent' ? l.#completed.length > 0 : l.#queue.length > 0),
      close: () => l.#close(),
    });
    makeListener = (server, context, options) => {
      constructing = true;
      return new SslListener(server, context, options);
    };
  }
}


// What `util.inspect` shows; defined here so that it stays out of the declarations.
Object.defineProperty(SslListener.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value: function inspectListener(this: SslListener, _depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    const a = listenerInternals(this).server.address();
    const shown = {
      address: a && typeof a === 'object' ? a.address : null,
      port: a && typeof a === 'object' ? a.port : null,
      closed: this.isClosed,
      handshakes: this.handshakes,
      handshakeTimeout: this.handshakeTimeout,
      maxHandshakes: this.maxHandshakes,
      shutdownOnClose: this.shutdownOnClose,
    };
    return `SslListener ${inspect(shown, options)}`;
  },
});

function checkListener(who: string, v: unknown): SslListener {
  if (v instanceof SslListener) return v;
  throw typeError(who, 'listener', 'an SSL listener', v);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

const LISTEN_OPTIONS: Record<keyof SslListenOptions, true> = { handshakeTimeout: true, maxHandshakes: true, shutdownOnClose: true, handshakes: true };

/** @internal validates the listener options (also for Gerbil's form). */
export function checkListenOptions(who: string, options: unknown): SslListenOptions {
  const o = checkOptionsObject(who, options, LISTEN_OPTIONS);
  const timeout = checkTimeout(who, o.handshakeTimeout);
  const max = o.maxHandshakes;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max))) throw typeError(who, 'maxHandshakes', 'a positive integer', max);
  if (max !== undefined && (max as number) < 1) throw new RangeError(`${who}: maxHandshakes must be >= 1, got ${max}`);
  if (o.shutdownOnClose !== undefined && typeof o.shutdownOnClose !== 'boolean') throw typeError(who, 'shutdownOnClose', 'a boolean', o.shutdownOnClose);
  if (o.handshakes !== undefined && o.handshakes !== 'concurrent' && o.handshakes !== 'in-accept') {
    throw new RangeError(`${who}: handshakes must be 'concurrent' or 'in-accept', got ${String(o.handshakes)}`);
  }
  return {
    ...(timeout !== null ? { handshakeTimeout: timeout } : {}),
    ...(max !== undefined ? { maxHandshakes: max as number } : {}),
    ...(o.shutdownOnClose !== undefined ? { shutdownOnClose: o.shutdownOnClose as boolean } : {}),
    ...(o.handshakes !== undefined ? { handshakes: o.handshakes as 'concurrent' | 'in-accept' } : {}),
  };
}

/**
 * Listens on `portNo` (0 picks a free port; see {@link sslAddresses}) and resolves once bound.
 * `serverProtocol` is a protocol symbol or a server context. The Chicken egg's argument order
 * `(port, backlog, hostname, context)` is also accepted. `reuse` is accepted for compatibility: Node
 * always sets SO_REUSEADDR on listening sockets, so a restarted server can rebind at once.
 * A last plain-object argument gives the {@link SslListenOptions} (in either order).
 *
 * Gerbil's form is `sslListen(addr, { context, backlog, ...listenerOptions })` with an address string
 * (`'host:port'`, `'[::1]:port'`, `':port'` for every address; port 0 picks one) and a required
 * context; the backlog defaults to Gerbil's 10.
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
export async function sslListen(addr: string, options: GerbilListenOptions): Promise<SslListener>;
export async function sslListen(
  portNo: number,
  queueK?: number,
  reuse?: boolean | string | null,
  hostname?: string | null | SslProtocol | SslContext,
  serverProtocol?: SslProtocol | SslContext,
  options?: SslListenOptions,
): Promise<SslListener>;
export async function sslListen(
  portNo: number | string,
  queueK: number | GerbilListenOptions = 5,
  reuse: boolean | string | null = false,
  hostname: string | null | SslProtocol | SslContext = null,
  serverProtocol: SslProtocol | SslContext = 'auto',
  options?: SslListenOptions,
): Promise<SslListener> {
  const who = 'sslListen';
  if (typeof portNo === 'string') {
    // Gerbil's form: a thin layer over the Racket one.
    if (arguments.length > 2) throw new TypeError(`${who}: the (addr, options) form takes two arguments`);
    const g = gerbilListenArguments(who, portNo, queueK);
    return sslListen(g.port, g.backlog, false, g.host, g.context, g.listenerOptions);
  }
  let nargs = arguments.length;
  let opts: SslListenOptions = {};
  // The options object is the last argument, whichever argument order is used.
  const last = arguments[nargs - 1] as unknown;
  if (nargs >= 5 && isPlainObject(last)) {
    opts = checkListenOptions(who, last);
    nargs--;
    if (nargs === 4) serverProtocol = 'auto';
  } else if (options !== undefined) opts = checkListenOptions(who, options);
  assertPortNumber(who, 'portNo', portNo, 0);
  assertInteger(who, 'queueK', queueK, 0, MAX_BACKLOG);
  let host: string | null;
  let protocol: unknown;
  if (typeof reuse === 'string' || (reuse === null && nargs >= 4 && typeof hostname !== 'string')) {
    // Chicken egg order: (port, backlog, hostname, ctx)
    host = reuse;
    protocol = nargs >= 4 ? hostname ?? 'auto' : 'auto';
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
  return makeListener(server, context, opts);
}

/**
 * Accepts the next connection on `listener`: the next one whose handshake completed (handshakes run
 * concurrently, see {@link SslListener}), or, on a listener made with `handshakes: 'in-accept'`, the
 * next TCP connection, whose handshake it then performs (the seed's `ssl-accept`).
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
  if (l.handshakes === 'concurrent') return listenerInternals(l).nextConnection(who, signal, timeout);
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
    shutdownOnClose: l.shutdownOnClose,
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
