/**
 * The connection engine: one OpenSSL `SSL` over two memory BIOs, pumped to a transport (a socket, or
 * any Readable/Writable pair). The decrypted side is a pair of ports.
 *
 * `Connection` is the facade the rest of the library uses; it owns the `SSL` and composes the parts:
 * - {@link CiphertextPump} (`ciphertext.ts`): the BIOs, the transport's bytes in, OpenSSL's records out;
 * - {@link Plaintext} (`plaintext.ts`): `SSL_read` into the input port, the output port's `SSL_write`s;
 * - {@link Lifecycle} (`lifecycle.ts`): the state and the closing rules;
 * - {@link Transport} (`transport.ts`): the streams underneath, their listeners, letting them go;
 * - `handshake-setup.ts`, `live-verify.ts`, `ssl-errors.ts`, `trace.ts` on the cold paths.
 * This file holds what ties them: the drive loop, the handshake step, the transport and port events,
 * OpenSSL's callbacks, failure and release.
 *
 * Ownership: the connection owns its `SSL` (and through it both BIOs) from construction until
 * {@link Connection.release}, which runs once, never inside an OpenSSL call.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { native, drainErrors, clearErrors, type Native } from '../ffi/native.js';
import { READ_BUFFER } from './read-buffer.js';
import { created, freed } from '../ffi/objects.js';
import { attachHooks, detachHooks, trampolines, TLSEXT_ERR, type SslHooks } from '../ffi/callbacks.js';
import type { Ptr } from '../ffi/bindings.js';
import { SslError } from '../errors.js';
import {
  SSL_ERROR_NONE,
  SSL_ERROR_WANT_READ,
  X509_V_OK,
  chunkBytes,
  closedError,
  describeChunk,
  failedWord,
  handshakeError,
  verifyFailure,
} from './ssl-errors.js';
import { isSslServerContext, stateOf, type SslContext } from '../context/context.js';
import { startLiveVerification, type LiveVerification, type VerifyHost } from './live-verify.js';
import { nodeVerifyCodeAt, setupClient, setupHostnameCheck, verifyGoesOn, verifyModeFor } from './handshake-setup.js';
import { trace, traceInfo, traceLabel, traceOpen, tracing } from './trace.js';
import { makePorts, type SslInputPort, type SslOutputPort, type PortOwner } from '../ports/ports.js';
import { CiphertextPump, type FeedHost } from './ciphertext.js';
import { Plaintext, type PlaintextHost } from './plaintext.js';
import { Lifecycle, type LifecycleOwner } from './lifecycle.js';
import { Transport } from './transport.js';

const SSL_SENT_SHUTDOWN = 1;
/** Socket reads at least this long are read by OpenSSL in place (see `CiphertextPump.receive`); shorter ones are copied. */
const READ_IN_PLACE = 4096;

/** Everything a connection is made from. */
export interface ConnectionOptions {
  /** The procedure name errors start with. */
  who: string;
  mode: 'connect' | 'accept';
  context: SslContext;
  /** Client: the name sent as SNI (unless an IP literal) and verified when hostname checks are on. */
  hostname: string | null;
  /** Client: ALPN protocols in preference order. */
  alpn?: readonly Uint8Array[];
  /** Client: "host:port" under which sessions are cached for resumption, or null. */
  sessionKey?: string | null;
  reuseSession?: boolean;
  input: Readable;
  output: Writable;
  /** The socket when the connection owns one (sslConnect, sslAccept). */
  socket?: Socket | null;
  /** Close the transport when both ports are closed. */
  closeTransport: boolean;
  shutdownOnClose: boolean;
  /** Abort the handshake after this many ms (0 = never). */
  handshakeTimeout?: number;
  signal?: AbortSignal | null;
  /** Ciphertext that arrived before the connection was made (STARTTLS). */
  initialData?: Buffer | null;
  /**
   * `portsToSslPorts`'s `error` option: every communication error of the connection (handshake,
   * reads, writes, the transport's own errors) is raised as what this returns (or throws) instead;
   * returning nothing keeps the error.
   */
  raiseAs?: ((e: SslError) => unknown) | null;
  /**
   * The transport's bytes are delivered by the caller through {@link Connection.receive} (a socket made
   * with Node's `onread` option: no Readable machinery, one reused buffer) instead of 'data' events.
   */
  externalReads?: boolean;
}

/** One TLS connection. */
export class Connection implements PortOwner, SslHooks, VerifyHost, PlaintextHost, LifecycleOwner, FeedHost {
  readonly who: string;
  readonly mode: 'connect' | 'accept';
  /** The context the connection was made from. */
  readonly originalContext: SslContext;
  /** The context in use (differs after an SNI switch). */
  context: SslContext;
  readonly hostname: string | null;
  readonly socket: Socket | null;
  readonly inputPort: SslInputPort;
  /** Verification policy for this connection (starts as the context's, changed by sslSetVerify on a port). */
  verify: 'off' | 'try' | 'require';
  checkHostname: boolean;

  private readonly n: Native;
  /**
   * The `SSL *`, 0 once released. Read only by the {@link ssl} getter, {@link sslPtr} and
   * {@link release}: nothing else keeps or reads the raw pointer, so a released connection can never
   * hand OpenSSL a NULL or freed `SSL *`.
   */
  private handle: Ptr = 0;
  private readonly pump: CiphertextPump;
  private readonly plain: Plaintext;
  private readonly life: Lifecycle;
  private readonly transport: Transport;
  private readonly shutdownOnClose: boolean;
  /** Client: the key its new sessions are cached under; null when sessions are not reused (nothing is kept). */
  private readonly sessionKey: string | null;
  /** Nesting depth of OpenSSL work on the stack (release waits for 0). */
  private busy = 0;
  /** Something asked to drive while the drive loop ran: go round once more. */
  private again = false;
  private releasePending = false;
  private handshake: { resolve: () => void; reject: (e: Error) => void } | null = null;
  /** Until {@link start} hands it over (the connection keeps no settled promise). */
  private handshakePromise: Promise<void> | null;
  private timer: NodeJS.Timeout | null = null;
  private error: SslError | null = null;
  /** What {@link error} is raised as (see {@link ConnectionOptions.raiseAs}). */
  private raisedError: Error | null = null;
  private readonly raiseAs: ((e: SslError) => unknown) | null;
  /** Why a user callback run inside OpenSSL (the SNI callback) made the handshake fail. */
  private callbackError: Error | null = null;
  /** Waiters for renegotiation / post-handshake verification. */
  private verifyWaiter: LiveVerification | null = null;
  /** The abort listener on {@link signal} (only made when there is a signal). */
  private onAbort: (() => void) | null = null;
  private readonly signal: AbortSignal | null;

  constructor(o: ConnectionOptions) {
    this.n = native(o.who);
    const { ssl } = this.n;
    this.who = o.who;
    this.mode = o.mode;
    this.originalContext = o.context;
    this.context = o.context;
    this.hostname = o.hostname;
    this.socket = o.socket ?? null;
    this.shutdownOnClose = o.shutdownOnClose;
    this.sessionKey = (o.reuseSession ?? true) ? (o.sessionKey ?? null) : null;
    this.signal = o.signal ?? null;
    this.raiseAs = o.raiseAs ?? null;
    const cs = stateOf(o.context);
    this.verify = cs.verify;
    // Both sides: a server checks the client's certificate against the hostname it was given
    // (portsToSslPorts in accept mode), as Racket's wrap-ports does.
    this.checkHostname = cs.verifyHostname;
    this.handshakePromise = new Promise<void>((resolve, reject) => {
      this.handshake = { resolve, reject };
    });
    this.handshakePromise.catch(() => {});
    this.transport = new Transport(o.input, o.output, this.socket, o.closeTransport, {
      // (no closure for 'data' when the socket's reads come through receive())
      data: o.externalReads ? null : (chunk) => this.onTransportData(chunk),
      end: () => this.onTransportEnd(),
      error: (err) => this.onTransportError(err),
      drain: () => this.onTransportDrain(),
      close: () => this.onTransportClose(),
    });

    clearErrors();
    const s = ssl.SSL_new(cs.ptr);
    if (!s) throw new SslError(`${o.who}: cannot create connection (${drainErrors().map((e) => e.reason).join('; ')})`, { status: 'ssl' });
    created('SSL', s);
    try {
      this.pump = new CiphertextPump(this.n, s, o.output, this.socket !== null, o.who);
    } catch (e) {
      ssl.SSL_free(s);
      freed('SSL');
      throw e;
    }
    this.handle = s;
    attachHooks(s, this);
    if (tracing) {
      this.traceLabel = traceLabel(o.who);
      ssl.SSL_set_info_callback(s, trampolines?.info ?? null);
      trace(this.traceLabel, `${o.mode === 'connect' ? 'client' : 'server'} connection${o.hostname ? ` to ${o.hostname}` : ''}`);
    }

    const [input, output] = makePorts(this);
    this.inputPort = input;
    this.life = new Lifecycle(this, output);
    this.plain = new Plaintext(this.n, this, this.pump, this.life, input);

    try {
      this.configure(o);
    } catch (e) {
      this.release();
      throw e instanceof SslError ? this.raised(e) : e;
    }
  }

  /** What a communication error is raised as: itself, or what the `raiseAs` option makes of it. */
  private raised(err: SslError): Error {
    if (!this.raiseAs) return err;
    let out: unknown;
    try {
      out = this.raiseAs(err);
    } catch (thrown) {
      out = thrown;
    }
    return (out ?? err) as Error;
  }

  private configure(o: ConnectionOptions): void {
    const s = this.ssl;
    if (o.mode === 'connect') setupClient(this.n, s, o, this.sessionKey !== null);
    else this.n.ssl.SSL_set_accept_state(s);
    if (this.checkHostname) setupHostnameCheck(this.n, s, o.who, this.failedWord(), this.hostname);
    this.applyVerifyMode(false);

    this.transport.attach();
    const ms = o.handshakeTimeout ?? 0; // (closures below capture locals only, never the options object)
    if (ms > 0) {
      this.timer = setTimeout(() => {
        this.fail(new SslError(`${this.who}: ${this.failedWord()} (handshake timed out after ${ms} ms)`, { code: 'ETIMEDOUT' }));
      }, ms);
      this.timer.unref?.();
    }
    const signal = this.signal;
    if (signal) {
      const onAbort = (): void => this.fail(new SslError(`${this.who}: aborted`, { code: 'ABORT_ERR', cause: signal.reason }));
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        this.onAbort = onAbort;
        signal.addEventListener('abort', onAbort, { once: true });
      }
    }
    if (o.initialData && o.initialData.length) this.pump.feed(o.initialData);
  }

  /** Sets OpenSSL's verify mode for the current policy (`postHandshake` adds the TLS 1.3 PHA flag). */
  applyVerifyMode(postHandshake: boolean): void {
    this.n.ssl.SSL_set_verify(this.ssl, verifyModeFor(this.mode, this.verify, this.checkHostname, postHandshake), trampolines?.verify ?? null);
  }

  /** Resolves when the handshake is complete; rejects with the handshake's SslError. */
  start(): Promise<void> {
    const p = this.handshakePromise;
    if (!p) throw new Error('Connection.start: called twice');
    this.handshakePromise = null;
    if (this.mode === 'connect' || this.life.state === 'handshaking') this.drive();
    return p;
  }

  /**
   * The `SSL *` for a public procedure (`who`), while the connection is not closed; an `SslError`
   * `ERR_SSL_CLOSED` naming `who` once it is closed or released.
   */
  sslPtr(who: string): Ptr {
    if (!this.handle || this.life.state === 'closed') throw closedError(who);
    return this.handle;
  }

  /**
   * The engine's own access to the `SSL *`: throws (`ERR_SSL_CLOSED`) instead of answering 0 once the
   * connection is released. Test liveness with {@link released}, never with this.
   */
  private get ssl(): Ptr {
    if (!this.handle) throw closedError(this.who);
    return this.handle;
  }

  /** The output port. */
  get outputPort(): SslOutputPort {
    return this.life.outputPort;
  }

  /**
   * The TCP socket the connection runs over: its own (sslConnect, sslAccept, upgrades), or the
   * transport given to portsToSslPorts when that is a socket; null for other streams.
   */
  get transportSocket(): Socket | null {
    return this.transport.tcpSocket;
  }

  /** Whether the `SSL` has been freed. */
  get released(): boolean {
    return this.handle === 0;
  }

  /** Whether the connection is not closed. */
  get isAlive(): boolean {
    return this.life.state !== 'closed';
  }

  /** Whether the handshake finished and the connection is not closed. */
  get isOpen(): boolean {
    return this.life.state === 'open';
  }

  // PlaintextHost: what the read loop and the write pump use of the connection.
  resumeTransport(): void {
    this.transport.input.resume();
  }

  /** The input port holds its high-water mark of plaintext nobody has read yet: take no more for now. */
  inputFull(): boolean {
    return this.plain.inputFull();
  }

  // ---- transport events ----

  /**
   * Ciphertext from a socket read through Node's `onread` mode: `n` bytes at the start of the shared
   * read buffer, valid only during the call (the next read reuses the memory).
   */
  receive(n: number): void {
    if (this.life.state === 'closed' || n <= 0 || n > READ_BUFFER.length) return;
    this.pump.receive(n, n >= READ_IN_PLACE && this.life.state === 'open', this);
  }

  /** Ciphertext in a Buffer of the caller's (bytes that arrived before the connection existed). */
  receiveBuffer(chunk: Buffer): void {
    this.onTransportData(chunk);
  }

  private onTransportData(chunk: unknown): void {
    if (this.life.state === 'closed') return;
    const bytes = chunkBytes(chunk);
    if (bytes === null) {
      this.fail(new SslError(`${this.who}: the wrapped input stream delivers ${describeChunk(chunk)}; it must deliver bytes`, { code: 'ERR_INVALID_ARG_TYPE' }));
      return;
    }
    this.pump.feed(bytes);
    this.afterFeed();
  }

  /**
   * Runs OpenSSL on what was fed; stops the transport while nobody wants the plaintext. A pending
   * renegotiation or live verification needs the peer's messages, so the transport keeps flowing for
   * it, but only while the input port has room: a peer that floods data meanwhile is held back too.
   */
  afterFeed(): void {
    // Not on the feed that completed the handshake: the application is only told in the microtasks
    // that follow, and usually reads at once (pausing now and resuming a moment later costs a libuv
    // read stop and start, two epoll changes). The next feed nobody wants pauses: at most one more
    // socket read waits in the read BIO.
    const wasOpen = this.life.state === 'open';
    this.drive();
    const plain = this.plain;
    if (wasOpen && this.life.state === 'open' && !plain.wantRead && (this.inputFull() || (!plain.writeWantsRead && !this.verifyWaiter))) this.transport.input.pause();
  }

  private onTransportEnd(): void {
    if (this.life.state === 'closed') return;
    // OpenSSL is not told: an EOF inside OpenSSL is a fatal "unexpected eof" that also kills the
    // sending direction. The engine ends the input itself once OpenSSL has consumed every byte.
    this.life.transportEnded = true;
    this.drive();
  }

  private onTransportError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? null;
    this.fail(new SslError(`${this.who}: ${this.life.state === 'handshaking' ? this.failedWord() : 'connection lost'} (${err.message})`, { status: 'syscall', code, cause: err }));
  }

  private onTransportClose(): void {
    const life = this.life;
    if (life.state === 'closed') return;
    if (life.state === 'handshaking') {
      this.fail(new SslError(`${this.who}: ${this.failedWord()} (connection closed by peer during handshake)`, { status: 'syscall', code: 'ECONNRESET' }));
      return;
    }
    // The transport is gone: nothing more can be sent; a write waiting for it fails.
    this.pump.gone = true;
    if (this.pump.blocked) this.plain.failWrite(this.transportGoneError());
    if (!life.transportEnded) this.onTransportEnd();
    else this.drive();
  }

  private onTransportDrain(): void {
    if (this.pump.drained()) this.drive();
  }

  // ---- the drive loop ----

  /** Runs OpenSSL as far as it can go with what it has; re-entrant calls are folded into one loop. */
  private drive(): void {
    if (this.life.state === 'closed') return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy++;
    try {
      do {
        this.again = false;
        if (this.life.state === 'handshaking') this.stepHandshake();
        if (this.isOpen) {
          this.plain.readLoop();
          if (this.isOpen) this.plain.pumpWrite();
          if (this.verifyWaiter && this.isOpen) this.verifyWaiter.step();
        }
      } while (this.again && this.isAlive);
    } finally {
      this.busy--;
    }
    if (!this.busy) this.settle();
    if (this.releasePending) this.release();
  }

  /** Closes the connection once nothing can use it any more (see {@link Lifecycle.settle}). */
  private settle(): void {
    if (this.busy) return;
    if (this.life.settle(this.plain.inputEnded, this.pump.gone, this.plain.pendingWrite !== null)) this.closeAll();
  }

  /** The output port was garbage-collected while the connection was half-open. */
  onOutputCollected(): void {
    if (this.life.state === 'open') this.closeAll();
  }

  /** The error of a write that cannot reach the peer any more. */
  transportGoneError(): SslError {
    return new SslError(`${this.who}: write failed (the transport is closed; the peer cannot receive it)`, { status: 'syscall', code: 'EPIPE' });
  }

  private stepHandshake(): void {
    const { ssl } = this.n;
    const r = ssl.SSL_do_handshake(this.ssl);
    const e = r === 1 ? SSL_ERROR_NONE : ssl.SSL_get_error(this.ssl, r);
    // The error queue is the thread's: read it before any JavaScript runs (the transport write below
    // may run the peer's handshake, in this thread, which would take or add errors).
    const errors = e === SSL_ERROR_NONE || e === SSL_ERROR_WANT_READ ? null : drainErrors();
    if (r === 1 && this.mode === 'accept') {
      // The server's last flight (TLS 1.3: its session tickets; the client is not waiting for them)
      // goes out once the microtasks that hand the connection to the application have run, together
      // with what the application writes in them: one transport write instead of two.
      this.pump.collect();
      this.pump.sendAfterMicrotasks();
    } else this.pump.flush(); // also on failure: the alert must reach the peer
    if (r === 1) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.stopWatchingAbort();
      this.life.state = 'open';
      this.life.handshakeDone = true;
      clearErrors();
      if (tracing) this.traceOpen();
      this.pump.shrink();
      const h = this.handshake;
      this.handshake = null;
      h?.resolve();
      return;
    }
    if (e === SSL_ERROR_WANT_READ) {
      if (this.life.transportEnded) {
        this.fail(new SslError(`${this.who}: ${this.failedWord()} (connection closed by peer during handshake)`, { status: 'syscall', code: 'ECONNRESET' }));
      }
      return;
    }
    this.fail(handshakeError(this.n, this.who, this.mode, e, errors ?? drainErrors(), this.life.transportEnded, this.handle, this.callbackError, this.nodeVerifyCode));
  }

  /** Moves everything OpenSSL wrote onto the transport. Returns bytes moved. */
  flushOut(): number {
    return this.pump.flush();
  }

  // ---- port callbacks ----

  onInputRead(): void {
    const plain = this.plain;
    const life = this.life;
    // Readable asks again after every push (its read-ahead) while the reader keeps up. When it already
    // wanted more and nothing changed since the drive that pushed (no new ciphertext, no write waiting,
    // no end, no verification), a drive would do nothing: only let the transport flow.
    if (
      plain.wantRead &&
      !this.pump.fresh &&
      life.state === 'open' &&
      !life.transportEnded &&
      !life.inputClosed &&
      !plain.inputEnded &&
      plain.pendingWrite === null &&
      this.verifyWaiter === null &&
      !this.busy
    ) {
      this.transport.resumeIfPaused();
      return;
    }
    plain.wantRead = true;
    if (this.life.state === 'open' && !this.life.transportEnded) this.transport.resumeIfPaused();
    this.drive();
  }

  onOutputWrite(chunk: Buffer, cb: (err?: Error | null) => void): void {
    this.onOutputWritev([chunk], cb);
  }

  onOutputWritev(chunks: readonly Buffer[], cb: (err?: Error | null) => void): void {
    if (this.error) return cb(this.raisedError ?? this.error);
    const state = this.life.state;
    if (state === 'open' && !this.pump.writable()) this.pump.gone = true;
    if (this.pump.gone) {
      cb(this.raised(this.transportGoneError()));
      this.settle();
      return;
    }
    if (state === 'closed') return cb(this.raised(new SslError(`${this.who}: write failed (the connection is closed)`, { code: 'ERR_SSL_CLOSED' })));
    let size = 0;
    for (const c of chunks) size += c.length;
    if (size === 0) return cb();
    this.plain.beginWrite(chunks, size, cb);
    // The common case needs no reading first: encrypt and send straight away.
    if (state === 'open' && !this.busy && !this.plain.writeWantsRead && !this.verifyWaiter) {
      this.busy++;
      try {
        this.plain.pumpWrite();
      } finally {
        this.busy--;
      }
      if (this.releasePending) this.release();
      else if (this.again) this.drive();
      return;
    }
    this.drive();
  }

  onOutputFinal(cb: (err?: Error | null) => void): void {
    if (this.life.state !== 'open' || !this.shutdownOnClose || this.outputPort.abandoned) return cb();
    this.closeNotify(cb);
  }

  /**
   * Sends close_notify now, whatever `shutdownOnClose` says (the socket view's `end()`), with every
   * record gathered before it; `cb` once the transport has taken them.
   */
  closeNotify(cb: (err?: Error | null) => void): void {
    if (this.life.state !== 'open' || this.released || !this.pump.writable()) return cb();
    this.n.ssl.SSL_shutdown(this.ssl);
    clearErrors();
    this.pump.flush();
    if (!this.pump.blocked) return cb();
    this.transport.output.once('drain', () => cb());
  }

  onPortClosed(which: 'input' | 'output'): void {
    const life = this.life;
    if (!life.portClosed(which)) return;
    if (life.inputClosed && life.outputClosed) this.closeAll();
    else if (which === 'input' && life.state === 'open') this.drive();
    else if (which === 'output' && life.state === 'open') {
      // Only the input can still be used: keep reading (up to the input port's buffer) so that the
      // peer's end is seen even when nobody reads, and the connection is freed when it comes.
      if (!this.plain.inputEnded) {
        this.plain.wantRead = true;
        if (!life.transportEnded) this.transport.resumeIfPaused();
      }
      this.drive();
    }
  }

  // ---- tracing (NODE_DEBUG=openssl-ports) ----

  private traceLabel = '';

  onInfo(where: number, ret: number): void {
    if (!this.released) traceInfo(this.n, this.traceLabel, this.ssl, where, ret);
  }

  /** One line with what was negotiated (names only, never secrets). */
  private traceOpen(): void {
    traceOpen(this.n, this.traceLabel, this.ssl, this.verify === 'off' && !this.checkHostname ? 'not checked' : this.verifyResultText());
  }

  // ---- SslHooks (called by OpenSSL inside SSL_* calls) ----

  onVerify(preverifyOk: boolean, storeCtx: Ptr): boolean {
    if (preverifyOk) return true;
    const err = this.n.crypto.X509_STORE_CTX_get_error(storeCtx);
    const go = verifyGoesOn(err, this.checkHostname, this.verify);
    if (!go) this.nodeVerifyCode = nodeVerifyCodeAt(this.n, storeCtx, err);
    return go;
  }

  onAlpnSelect(out: unknown, outLen: unknown, client: unknown, clientLen: number): number {
    const alpn = stateOf(this.context).serverAlpn ?? stateOf(this.originalContext).serverAlpn;
    if (!alpn) return TLSEXT_ERR.NOACK;
    const r = this.n.ssl.SSL_select_next_proto(out, outLen, alpn.wire, alpn.wire.length, client, clientLen);
    if (r === 1) return TLSEXT_ERR.OK;
    return alpn.allowNoMatch ? TLSEXT_ERR.NOACK : TLSEXT_ERR.ALERT_FATAL;
  }

  onKeylog(line: string): void {
    const logger = stateOf(this.context).keylogger ?? stateOf(this.originalContext).keylogger;
    if (logger) logger(Buffer.from(line, 'latin1'));
  }

  onServername(): number {
    const cb = stateOf(this.originalContext).sniCallback;
    const name = this.n.ssl.SSL_get_servername(this.ssl, 0);
    if (name === null) return TLSEXT_ERR.NOACK;
    if (!cb) return TLSEXT_ERR.OK; // acknowledge: the session records the name, which resumption checks
    let next: unknown;
    try {
      next = cb(name);
    } catch (err) {
      // The handshake fails with a fatal alert; its error says why.
      this.callbackError = new Error(`server name callback failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      return TLSEXT_ERR.ALERT_FATAL;
    }
    if (isSslServerContext(next) && next !== this.context) {
      const nextState = stateOf(next);
      this.n.ssl.SSL_set_SSL_CTX(this.ssl, nextState.ptr);
      // OpenSSL asks the new context for the key-log callback: the original's key logger still logs.
      if (stateOf(this.originalContext).keylogger && !nextState.keylogger) nextState.hookKeylog(true);
      this.context = next;
    }
    return TLSEXT_ERR.OK;
  }

  onNewSession(session: Ptr): boolean {
    if (!this.sessionKey) return false;
    // Keep a copy: OpenSSL marks a connection's own session unresumable when the connection is freed
    // without close_notify, which is how the seed closes ports by default.
    const copy = this.n.ssl.SSL_SESSION_dup(session);
    if (!copy) return false;
    // The context's cache owns the copy from now on (bounded: it may evict and free another).
    stateOf(this.originalContext).sessions.set(this.sessionKey, created('SSL_SESSION', copy));
    return false;
  }

  // ---- live verification (sslSetVerify / sslTryVerify on a port) ----

  /** sslSetVerify / sslTryVerify on a port: see {@link startLiveVerification}. */
  reverify(who: string, mode: 'try' | 'require'): Promise<void> {
    return startLiveVerification(this, this.n, this.sslPtr(who), who, mode);
  }

  // VerifyHost: what the pending live verification uses of the connection.
  get liveVerification(): LiveVerification | null {
    return this.verifyWaiter;
  }

  liveSsl(): Ptr {
    return this.ssl;
  }

  get peerEnded(): boolean {
    return this.life.transportEnded;
  }

  deliverVerifyRead(chunk: Buffer): void {
    this.plain.deliver(chunk);
  }

  verificationStarted(w: LiveVerification): void {
    this.verifyWaiter = w;
    this.transport.input.resume();
    this.drive();
  }

  verificationEnded(w: LiveVerification): void {
    if (this.verifyWaiter === w) this.verifyWaiter = null;
  }

  /** A live verification that closes with the connection: settles the pending one, if any. */
  private settleVerifyOnClose(): void {
    const w = this.verifyWaiter;
    if (!w) return;
    w.reject(new SslError(`${w.who}: failed (the connection was closed before the verification completed)`, { code: 'ERR_SSL_CLOSED' }));
  }

  onMessage(written: boolean, contentType: number, firstByte: number): void {
    this.verifyWaiter?.onMessage(written, contentType, firstByte);
  }

  // ---- queries ----

  /**
   * Whether the peer presented a certificate whose chain verified, whether or not verification was
   * requested (as Racket's `ssl-peer-verified?`: OpenSSL verifies a server's chain in every client
   * handshake and keeps the result).
   */
  peerVerified(): boolean {
    if (this.released) return false;
    const x = this.n.ssl.SSL_get1_peer_certificate(this.ssl);
    if (!x) return false;
    this.n.crypto.X509_free(x);
    return this.n.ssl.SSL_get_verify_result(this.ssl) === X509_V_OK;
  }

  /** node:tls's name for the verification failure that stopped the handshake (see `nodeVerifyCodeAt`). */
  private nodeVerifyCode: string | null = null;

  /** `SSL_get_verify_result`, or null when there is no connection. */
  verifyResultNumber(): number | null {
    return this.released ? null : this.n.ssl.SSL_get_verify_result(this.ssl);
  }

  verifyResultText(): string {
    const r = this.n.ssl.SSL_get_verify_result(this.ssl);
    if (r === X509_V_OK) {
      const x = this.n.ssl.SSL_get1_peer_certificate(this.ssl);
      if (x) this.n.crypto.X509_free(x);
      return x ? 'ok' : 'peer did not return a certificate';
    }
    return this.n.crypto.X509_verify_cert_error_string(r);
  }

  // ---- failure and teardown ----

  private failedWord(): string {
    return failedWord(this.who, this.mode);
  }

  /** Records the connection's first error; returns what it is raised as. */
  noteError(err: SslError): Error {
    if (this.error === null) {
      this.error = err;
      this.raisedError = this.raised(err);
    }
    return err === this.error ? this.raisedError! : this.raised(err);
  }

  /** Fails the connection: rejects the handshake or errors the ports, closes the transport, frees the SSL. */
  fail(err: SslError): void {
    const life = this.life;
    if (life.state === 'closed') return;
    if (tracing) trace(this.traceLabel, `error: ${err.message}${err.code ? ` [${err.code}${err.verifyCode ? ` ${err.verifyCode}` : ''}]` : ''}`);
    const out = this.noteError(err);
    const wasHandshaking = life.state === 'handshaking';
    this.pump.flushQuietly();
    life.state = 'closed';
    if (wasHandshaking) {
      const h = this.handshake;
      this.handshake = null;
      h?.reject(out);
    }
    this.plain.failWrite(out);
    const vw = this.verifyWaiter;
    // sslSetVerify/sslTryVerify on the port rejects under its own name, whichever step failed (not
    // converted by raiseAs: as in Racket, that error is the procedure's, not the ports').
    if (vw) vw.reject(err.message.startsWith(`${vw.who}: `) ? err : verifyFailure(vw.who, err));
    // An 'error' event nobody listens to would crash the process: only emit it to listeners.
    for (const port of [this.inputPort, life.outputIfAny()]) {
      if (!port || port.destroyed) continue;
      if (!wasHandshaking && port.listenerCount('error') > 0) port.destroy(out);
      else port.destroy();
    }
    this.shutTransport(true);
    this.release();
  }

  private closeAll(): void {
    const life = this.life;
    if (life.state === 'closed') return;
    if (tracing) trace(this.traceLabel, 'closed');
    life.state = 'closed';
    this.pump.flushQuietly();
    const h = this.handshake;
    this.handshake = null;
    if (h) h.reject(this.raised(new SslError(`${this.who}: ${this.failedWord()} (closed)`, { code: 'ERR_SSL_CLOSED' })));
    this.shutTransport(false);
    this.release();
  }

  private shutTransport(failed: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopWatchingAbort();
    this.transport.shut(failed);
  }

  private stopWatchingAbort(): void {
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
    this.onAbort = null;
  }

  /** Frees the SSL (and its BIOs) once; deferred while OpenSSL is on the stack. */
  release(): void {
    if (!this.handle) return;
    if (this.busy) {
      this.releasePending = true;
      return;
    }
    this.releasePending = false;
    this.settleVerifyOnClose();
    this.life.closed();
    const s = this.handle;
    this.handle = 0;
    detachHooks(s);
    // OpenSSL drops a session from the server cache when its connection is freed without a sent
    // shutdown; a connection that ended without error keeps its session resumable whatever the close.
    if (this.life.handshakeDone && this.error === null) this.n.ssl.SSL_set_shutdown(s, this.n.ssl.SSL_get_shutdown(s) | SSL_SENT_SHUTDOWN);
    this.n.ssl.SSL_free(s);
    freed('SSL');
    this.pump.sslFreed();
  }
}
