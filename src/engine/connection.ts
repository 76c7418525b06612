/**
 * The connection engine: one OpenSSL `SSL` over two memory BIOs, pumped to a transport (a socket, or
 * any Readable/Writable pair). Ciphertext from the transport goes into the read BIO; whatever OpenSSL
 * writes to the write BIO goes to the transport. The decrypted side is a pair of ports.
 *
 * Ownership: the connection owns its `SSL` (and through it both BIOs) from construction until
 * {@link Connection.release}, which runs once, never inside an OpenSSL callback.
 *
 * @module
 */
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { native, drainErrors, clearErrors, bufferAddress, type Native } from '../ffi/native.js';
import { READ_BUFFER, READ_BUFFER_ADDRESS } from './read-buffer.js';
import { created, freed } from '../ffi/objects.js';
import { attachHooks, detachHooks, trampolines, TLSEXT_ERR, type SslHooks } from '../ffi/callbacks.js';
import type { Ptr } from '../ffi/bindings.js';
import { SslError } from '../errors.js';
import {
  SSL_ERROR_NONE,
  SSL_ERROR_WANT_READ,
  SSL_ERROR_SYSCALL,
  SSL_ERROR_ZERO_RETURN,
  X509_V_OK,
  chunkBytes,
  closedError,
  describeChunk,
  failedWord,
  handshakeError,
  ioError,
  verifyFailure,
} from './ssl-errors.js';
import { isSslServerContext, stateOf, type SslContext } from '../context/context.js';
import { startLiveVerification, type LiveVerification, type VerifyHost } from './live-verify.js';
import { nodeVerifyCodeAt, setupClient, setupHostnameCheck, verifyGoesOn, verifyModeFor } from './handshake-setup.js';
import { trace, traceInfo, traceLabel, traceOpen, tracing } from './trace.js';
import { makePorts, type SslInputPort, type SslOutputPort, type PortOwner } from '../ports/ports.js';

const SSL_SENT_SHUTDOWN = 1;
const BIO_C_SET_BUF_MEM_EOF_RETURN = 130;

/** Largest slice handed to OpenSSL at once (one TLS record of plaintext; keeps memory BIOs small). */
const SLICE = 16 * 1024;

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

type State = 'handshaking' | 'open' | 'closed';

/**
 * Slabs shared by every connection (one thread, one call at a time): decrypted records of at least
 * {@link HAND_OVER} bytes are read straight into the input slab and handed to the reader as views,
 * and ciphertext is read out of the write BIOs into the output slab, consecutive records of one
 * connection side by side so they go to the transport as one write. Fresh 16 KiB buffers per record
 * cost more than the copying; a slab is freed once nothing views it.
 */
const IN_SLAB = 64 * 1024;
const OUT_SLAB = 256 * 1024;
/** Decrypted reads at least this long are handed over as views of the input slab; shorter ones are copied. */
const HAND_OVER = 4096;
/**
 * Largest piece of ciphertext written into a read BIO at once: one socket read (the client's onread
 * buffer is this size), or a few records of a stream transport, bounding what a BIO grows to.
 */
const FEED = 64 * 1024;
/** Socket reads at least this long are read by OpenSSL in place (see `receiveInPlace`); shorter ones are copied. */
const READ_IN_PLACE = 4096;
/** Less room than this left in the output slab (a full record and then some): start a new slab. */
const MIN_ROOM = SLICE + 1024;
/**
 * Ciphertext gathered for one transport write before it is sent: one full record. (64 KiB writes were
 * measured slower on loopback, A/B in alternating runs: bulk server→client 637 → 711 MiB/s,
 * client→server 606 → 640 MiB/s, 8 % less CPU; ping/pong and the stream pair unchanged.)
 */
const BATCH = 16 * 1024;
// Each slab's address goes to OpenSSL as a number (koffi's Buffer checks cost more than a small
// record's call); the module keeps the slab referenced while its address is in use. (Addresses are 0
// only when OpenSSL is not loaded, and then no connection can be made.)
let inSlab = Buffer.allocUnsafeSlow(IN_SLAB);
let inAddr = bufferAddress(inSlab);
let inOff = 0;
/** Small plaintext writes are copied here and passed to SSL_write by address. */
const STAGE = 2048;
const stage = Buffer.allocUnsafeSlow(STAGE);
const stageAddr = bufferAddress(stage);
let outSlab = Buffer.allocUnsafeSlow(OUT_SLAB);
let outAddr = bufferAddress(outSlab);
let outOff = 0;
/**
 * True while an SSL call works in the input slab or the stage. OpenSSL may run a user callback inside
 * it (a key logger, an SNI callback) that makes another connection read or write: that nested call
 * uses memory of its own instead.
 */
let sharedInUse = false;

/** One write of the output port (several chunks when the port hands over its buffered writes). */
interface PendingWrite {
  chunks: readonly Buffer[];
  index: number;
  offset: number;
  cb: (err?: Error | null) => void;
  /** Bytes in all chunks. */
  size: number;
}


/**
 * Closes half-open connections whose output port the application dropped (nothing else can use them).
 * The held value is a WeakRef: a strong one would keep the port reachable through the connection's input
 * port (e.g. an 'end' listener that closes the output), and nothing would ever be collected.
 */
const OUTPUT_COLLECTED = new FinalizationRegistry<WeakRef<Connection>>((ref) => ref.deref()?.onOutputCollected());

/** One TLS connection. */
export class Connection implements PortOwner, SslHooks, VerifyHost {
  readonly who: string;
  readonly mode: 'connect' | 'accept';
  /** The context the connection was made from. */
  readonly originalContext: SslContext;
  /** The context in use (differs after an SNI switch). */
  context: SslContext;
  readonly hostname: string | null;
  readonly socket: Socket | null;
  readonly inputPort: SslInputPort;
  /**
   * The output port. Held weakly once it is the only thing left that could use the connection (the
   * input has its end and the peer ended its side, half-open): when the application drops it, the
   * connection is closed (see {@link OUTPUT_COLLECTED}).
   */
  get outputPort(): SslOutputPort {
    return (this.outputStrong ?? this.outputWeak.deref())!;
  }
  private outputStrong: SslOutputPort | null;
  private readonly outputWeak: WeakRef<SslOutputPort>;
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
  private rbio: Ptr;
  private wbio: Ptr;
  private state: State = 'handshaking';
  private readonly transportIn: Readable;
  private readonly transportOut: Writable;
  private readonly closeTransport: boolean;
  private readonly shutdownOnClose: boolean;
  private readonly sessionKey: string | null;
  private readonly reuseSession: boolean;
  private transportEnded = false;
  /**
   * Nothing more can be sent: the transport closed, or its output was ended by someone else. Writes
   * fail with EPIPE from then on.
   */
  private transportGone = false;
  /** The handshake completed (a session worth keeping exists). */
  private handshakeDone = false;
  private transportBlocked = false;
  private wantRead = false;
  private inputEnded = false;
  private inputClosed = false;
  private outputClosed = false;
  private busy = 0;
  private again = false;
  private releasePending = false;
  private pendingWrite: PendingWrite | null = null;
  /** Ciphertext read out of the write BIO and not yet written: outSlab[batchStart, batchEnd) of batchSlab. */
  private batchSlab: Buffer | null = null;
  private batchStart = 0;
  private batchEnd = 0;
  /** A batch of bulk writes goes to the transport at the next tick (or once it reaches BATCH). */
  private batchScheduled = false;
  private readonly sendLater = (): void => {
    this.batchScheduled = false;
    this.sendBatch();
  };
  private writeWantsRead = false;
  /** Ciphertext was fed since SSL_read last said WANT_READ: only then can SSL_read make progress. */
  private rbioFresh = false;
  private handshake: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private handshakePromise: Promise<void>;
  private timer: NodeJS.Timeout | null = null;
  private error: SslError | null = null;
  /** What {@link error} is raised as (see {@link ConnectionOptions.raiseAs}). */
  private raisedError: Error | null = null;
  private readonly raiseAs: ((e: SslError) => unknown) | null;
  /** Why a user callback run inside OpenSSL (the SNI callback) made the handshake fail. */
  private callbackError: Error | null = null;
  /** Waiters for renegotiation / post-handshake verification. */
  private verifyWaiter: LiveVerification | null = null;
  private readonly onData = (chunk: unknown): void => this.onTransportData(chunk);
  private readonly onEnd = (): void => this.onTransportEnd();
  private readonly onError = (err: Error): void => this.onTransportError(err);
  private readonly onDrain = (): void => this.onTransportDrain();
  private readonly onClose = (): void => this.onTransportClose();
  private readonly onAbort = (): void => this.fail(new SslError(`${this.who}: aborted`, { code: 'ABORT_ERR', cause: this.signal?.reason }));
  private readonly signal: AbortSignal | null;

  constructor(o: ConnectionOptions) {
    this.n = native(o.who);
    const { ssl, crypto } = this.n;
    this.who = o.who;
    this.mode = o.mode;
    this.originalContext = o.context;
    this.context = o.context;
    this.hostname = o.hostname;
    this.socket = o.socket ?? null;
    this.transportIn = o.input;
    this.transportOut = o.output;
    this.closeTransport = o.closeTransport;
    this.shutdownOnClose = o.shutdownOnClose;
    this.sessionKey = o.sessionKey ?? null;
    this.reuseSession = o.reuseSession ?? true;
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

    clearErrors();
    const s = ssl.SSL_new(cs.ptr);
    if (!s) throw new SslError(`${o.who}: cannot create connection (${drainErrors().map((e) => e.reason).join('; ')})`, { status: 'ssl' });
    created('SSL', s);
    const rbio = crypto.BIO_new(crypto.BIO_s_mem());
    const wbio = crypto.BIO_new(crypto.BIO_s_mem());
    if (!rbio || !wbio) {
      if (rbio) crypto.BIO_free(rbio);
      if (wbio) crypto.BIO_free(wbio);
      ssl.SSL_free(s);
      freed('SSL');
      throw new SslError(`${o.who}: out of memory`, { status: 'ssl' });
    }
    created('BIO', rbio);
    created('BIO', wbio);
    // An empty read BIO means "no data yet" (retry), not EOF, until the transport really ends.
    crypto.BIO_ctrl(rbio, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, 0);
    ssl.SSL_set_bio(s, rbio, wbio); // the SSL now owns both BIOs
    this.handle = s;
    this.rbio = rbio;
    this.wbio = wbio;
    attachHooks(s, this);
    if (tracing) {
      this.traceLabel = traceLabel(o.who);
      ssl.SSL_set_info_callback(s, trampolines?.info ?? null);
      trace(this.traceLabel, `${o.mode === 'connect' ? 'client' : 'server'} connection${o.hostname ? ` to ${o.hostname}` : ''}`);
    }

    const [input, output] = makePorts(this);
    this.inputPort = input;
    this.outputStrong = output;
    this.outputWeak = new WeakRef(output);

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
    if (o.mode === 'connect') setupClient(this.n, s, o, this.sessionKey !== null && this.reuseSession);
    else this.n.ssl.SSL_set_accept_state(s);
    if (this.checkHostname) setupHostnameCheck(this.n, s, o.who, this.failedWord(), this.hostname);
    this.applyVerifyMode(false);

    if (!o.externalReads) this.transportIn.on('data', this.onData);
    this.transportIn.on('end', this.onEnd);
    this.transportIn.on('error', this.onError);
    this.transportIn.on('close', this.onClose);
    if (this.transportOut !== (this.transportIn as unknown)) {
      this.transportOut.on('error', this.onError);
      this.transportOut.on('close', this.onClose);
    }
    this.transportOut.on('drain', this.onDrain);
    this.transportIn.resume(); // a socket paused by a plaintext protocol (STARTTLS) must flow again
    if (this.transportIn.destroyed || this.transportOut.destroyed) queueMicrotask(this.onClose); // gone already
    else if (this.transportIn.readableEnded) queueMicrotask(this.onEnd);
    if (o.handshakeTimeout && o.handshakeTimeout > 0) {
      this.timer = setTimeout(() => {
        this.fail(new SslError(`${this.who}: ${this.failedWord()} (handshake timed out after ${o.handshakeTimeout} ms)`, { code: 'ETIMEDOUT' }));
      }, o.handshakeTimeout);
      this.timer.unref?.();
    }
    if (this.signal) {
      if (this.signal.aborted) queueMicrotask(this.onAbort);
      else this.signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (o.initialData && o.initialData.length) this.feed(o.initialData);
  }

  /** Sets OpenSSL's verify mode for the current policy (`postHandshake` adds the TLS 1.3 PHA flag). */
  applyVerifyMode(postHandshake: boolean): void {
    this.n.ssl.SSL_set_verify(this.ssl, verifyModeFor(this.mode, this.verify, this.checkHostname, postHandshake), trampolines?.verify ?? null);
  }

  /** Resolves when the handshake is complete; rejects with the handshake's SslError. */
  start(): Promise<void> {
    if (this.mode === 'connect') this.drive();
    else if (this.state === 'handshaking') this.drive();
    return this.handshakePromise;
  }

  /**
   * The `SSL *` for a public procedure (`who`), while the connection is not closed; an `SslError`
   * `ERR_SSL_CLOSED` naming `who` once it is closed or released.
   */
  sslPtr(who: string): Ptr {
    if (!this.handle || this.state === 'closed') throw closedError(who);
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

  /**
   * The TCP socket the connection runs over: its own (sslConnect, sslAccept, upgrades), or the
   * transport given to portsToSslPorts when that is a socket; null for other streams.
   */
  get transportSocket(): Socket | null {
    if (this.socket) return this.socket;
    if (this.transportIn instanceof Socket) return this.transportIn;
    if (this.transportOut instanceof Socket) return this.transportOut;
    return null;
  }

  /** Whether the `SSL` has been freed. */
  get released(): boolean {
    return this.handle === 0;
  }

  /** Whether the connection is not closed. */
  get isAlive(): boolean {
    return this.state !== 'closed';
  }

  /** Whether the handshake finished and the connection is not closed. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  // ---- transport events ----

  /**
   * Ciphertext from a socket read through Node's `onread` mode: `n` bytes at the start of the shared
   * read buffer, valid only during the call (the next read reuses the memory), copied into the read
   * BIO at once.
   */
  receive(n: number): void {
    if (this.state === 'closed' || n <= 0 || n > READ_BUFFER.length) return;
    this.rbioFresh = true;
    if (n >= READ_IN_PLACE && this.state === 'open' && this.n.crypto.BIO_ctrl_pending(this.rbio) === 0) this.receiveInPlace(n);
    else {
      this.n.crypto.BIO_write_at(this.rbio, READ_BUFFER_ADDRESS, n);
      this.afterFeed();
    }
  }

  /**
   * A large read with nothing older waiting: OpenSSL reads the records straight out of the shared read
   * buffer through a read-only memory BIO over it (no copy into the read BIO, no zeroing of its room),
   * and whatever it leaves is copied into the connection's own read BIO before this returns.
   *
   * Ownership and lifetime of the view: the read-only BIO points into {@link READ_BUFFER}, which lives
   * as long as the process and is not reused before this call returns (the next socket read comes from
   * the event loop). While it is installed the SSL owns it as its read BIO and this call holds the one
   * extra reference taken on the connection's own read BIO; before returning, that BIO is put back
   * (SSL_set0_rbio frees the view BIO), or, when the connection was released meanwhile (SSL_free freed
   * the view BIO with the SSL), freed here. So the view never outlives this call.
   */
  private receiveInPlace(n: number): void {
    const { crypto, ssl } = this.n;
    const own = this.rbio;
    const view = crypto.BIO_new_mem_buf_at(READ_BUFFER_ADDRESS, n);
    if (!view || crypto.BIO_up_ref(own) !== 1) {
      if (view) crypto.BIO_free(view);
      crypto.BIO_write_at(own, READ_BUFFER_ADDRESS, n);
      this.afterFeed();
      return;
    }
    created('BIO', view);
    crypto.BIO_ctrl(view, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, 0); // empty means "no data yet", as for the own BIO
    const s = this.ssl;
    ssl.SSL_set0_rbio(s, view);
    this.rbio = view;
    try {
      this.afterFeed();
    } finally {
      if (this.handle === s && this.rbio === view) {
        const left = crypto.BIO_ctrl_pending(view);
        if (left > 0) crypto.BIO_write_at(own, READ_BUFFER_ADDRESS + (n - left), left);
        ssl.SSL_set0_rbio(s, own); // frees the view BIO
        freed('BIO');
        this.rbio = own;
      } else {
        crypto.BIO_free(own); // the SSL (and the view BIO with it) is gone: drop the reference taken above
        freed('BIO');
      }
    }
  }

  /** Ciphertext in a Buffer of the caller's (bytes that arrived before the connection existed). */
  receiveBuffer(chunk: Buffer): void {
    this.onTransportData(chunk);
  }

  private onTransportData(chunk: unknown): void {
    if (this.state === 'closed') return;
    const bytes = chunkBytes(chunk);
    if (bytes === null) {
      this.fail(new SslError(`${this.who}: the wrapped input stream delivers ${describeChunk(chunk)}; it must deliver bytes`, { code: 'ERR_INVALID_ARG_TYPE' }));
      return;
    }
    this.feed(bytes);
    this.afterFeed();
  }

  /**
   * Runs OpenSSL on what was fed; stops the transport while nobody wants the plaintext. A pending
   * renegotiation or live verification needs the peer's messages, so the transport keeps flowing for
   * it, but only while the input port has room: a peer that floods data meanwhile is held back too.
   */
  private afterFeed(): void {
    this.drive();
    if (this.state === 'open' && !this.wantRead && (this.inputFull() || (!this.writeWantsRead && !this.verifyWaiter))) this.transportIn.pause();
  }

  /** The input port holds its high-water mark of plaintext nobody has read yet: take no more for now. */
  inputFull(): boolean {
    return !this.inputClosed && this.inputPort.readableLength >= this.inputPort.readableHighWaterMark;
  }

  private feed(chunk: Buffer): void {
    const { crypto } = this.n;
    this.rbioFresh = true;
    for (let off = 0; off < chunk.length; off += FEED) {
      const len = Math.min(FEED, chunk.length - off);
      crypto.BIO_write(this.rbio, off === 0 && len === chunk.length ? chunk : chunk.subarray(off, off + len), len);
    }
  }

  private onTransportEnd(): void {
    if (this.state === 'closed') return;
    // OpenSSL is not told: an EOF inside OpenSSL is a fatal "unexpected eof" that also kills the
    // sending direction. The engine ends the input itself once OpenSSL has consumed every byte.
    this.transportEnded = true;
    this.drive();
  }

  private onTransportError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? null;
    this.fail(new SslError(`${this.who}: ${this.state === 'handshaking' ? this.failedWord() : 'connection lost'} (${err.message})`, { status: 'syscall', code, cause: err }));
  }

  private onTransportClose(): void {
    if (this.state === 'closed') return;
    if (this.state === 'handshaking') {
      this.fail(new SslError(`${this.who}: ${this.failedWord()} (connection closed by peer during handshake)`, { status: 'syscall', code: 'ECONNRESET' }));
      return;
    }
    // The transport is gone: nothing more can be sent; a write waiting for it fails.
    this.transportGone = true;
    const w = this.pendingWrite;
    if (w && this.transportBlocked) {
      this.pendingWrite = null;
      w.cb(this.transportGoneError());
    }
    if (!this.transportEnded) this.onTransportEnd();
    else this.drive();
  }

  private onTransportDrain(): void {
    if (!this.transportBlocked) return;
    this.transportBlocked = false;
    this.drive();
  }

  // ---- the pump ----

  /** Runs OpenSSL as far as it can go with what it has; re-entrant calls are folded into one loop. */
  private drive(): void {
    if (this.state === 'closed') return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy++;
    try {
      do {
        this.again = false;
        if (this.state === 'handshaking') this.stepHandshake();
        if (this.isOpen) {
          this.readLoop();
          if (this.isOpen) this.pumpWrite();
          if (this.verifyWaiter && this.isOpen) this.verifyWaiter.step();
        }
      } while (this.again && this.isAlive);
    } finally {
      this.busy--;
    }
    if (!this.busy) this.settle();
    if (this.releasePending) this.release();
  }

  /**
   * Closes the connection once nothing can use it any more: no more input can arrive (the input port
   * has its end, or is closed) and nothing more can be sent (the output port is closed, or the
   * transport is gone). What is sent on the way out is still decided by the port-closing rules.
   */
  private settle(): void {
    if (this.state !== 'open' || this.busy) return;
    const inputDone = this.inputEnded || this.inputClosed;
    if (inputDone && (this.outputClosed || this.transportGone)) this.closeAll();
    else if (inputDone && this.transportEnded && this.outputStrong !== null && this.pendingWrite === null) {
      // Half-open: the peer ended its side, we may still send. Only the output port can use the
      // connection now; once the application lets go of it, nothing can.
      OUTPUT_COLLECTED.register(this.outputStrong, new WeakRef(this), this);
      this.outputStrong = null;
    }
  }

  /** The output port was garbage-collected while the connection was half-open. */
  onOutputCollected(): void {
    if (this.state === 'open') this.closeAll();
  }

  /** The error of a write that cannot reach the peer any more. */
  private transportGoneError(): SslError {
    return new SslError(`${this.who}: write failed (the transport is closed; the peer cannot receive it)`, { status: 'syscall', code: 'EPIPE' });
  }

  /** Whether the transport can still take bytes. */
  private transportWritable(): boolean {
    const out = this.transportOut;
    return !out.destroyed && !out.writableEnded;
  }

  private stepHandshake(): void {
    const { ssl } = this.n;
    const r = ssl.SSL_do_handshake(this.ssl);
    const e = r === 1 ? SSL_ERROR_NONE : ssl.SSL_get_error(this.ssl, r);
    // The error queue is the thread's: read it before any JavaScript runs (the transport write below
    // may run the peer's handshake, in this thread, which would take or add errors).
    const errors = e === SSL_ERROR_NONE || e === SSL_ERROR_WANT_READ ? null : drainErrors();
    this.flushOut(); // also on failure: the alert must reach the peer
    if (r === 1) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.signal?.removeEventListener('abort', this.onAbort);
      this.state = 'open';
      this.handshakeDone = true;
      clearErrors();
      if (tracing) this.traceOpen();
      this.shrinkBios();
      const h = this.handshake;
      this.handshake = null;
      h?.resolve();
      return;
    }
    if (e === SSL_ERROR_WANT_READ) {
      if (this.transportEnded) {
        this.fail(new SslError(`${this.who}: ${this.failedWord()} (connection closed by peer during handshake)`, { status: 'syscall', code: 'ECONNRESET' }));
      }
      return;
    }
    this.fail(handshakeError(this.n, this.who, this.mode, e, errors ?? drainErrors(), this.transportEnded, this.handle, this.callbackError, this.nodeVerifyCode));
  }

  private readLoop(): void {
    const { ssl } = this.n;
    let called = false;
    let produced = false;
    // Without new ciphertext (or the transport's end) SSL_read can only say WANT_READ again: skip it.
    while (!this.inputEnded && (this.rbioFresh || this.transportEnded) && (this.wantRead || this.inputClosed || (this.writeWantsRead && !this.inputFull()))) {
      called = true;
      let r: number;
      let own: Buffer | null = null;
      if (sharedInUse) {
        // Inside another connection's SSL call (from a user callback): this read uses its own memory.
        own = Buffer.allocUnsafe(SLICE);
        r = ssl.SSL_read(this.ssl, own, SLICE);
      } else {
        sharedInUse = true;
        try {
          r = ssl.SSL_read_at(this.ssl, inAddr + inOff, SLICE);
        } finally {
          sharedInUse = false;
        }
      }
      if (r > 0) {
        produced = true;
        if (this.inputClosed) continue; // nobody reads: discard
        let chunk: Buffer;
        if (own) chunk = own.subarray(0, r);
        else if (r >= HAND_OVER) {
          // The reader gets a view of the slab; the next read goes past it.
          chunk = inSlab.subarray(inOff, inOff + r);
          inOff += (r + 7) & ~7;
          if (inSlab.length - inOff < SLICE) {
            inSlab = Buffer.allocUnsafeSlow(IN_SLAB);
            inAddr = bufferAddress(inSlab);
            inOff = 0;
          }
        } else {
          chunk = Buffer.allocUnsafe(r);
          inSlab.copy(chunk, 0, inOff, inOff + r);
        }
        this.wantRead = this.inputPort.push(chunk);
        // A record never outgrows SLICE, so with the read BIO empty the next SSL_read could only say
        // WANT_READ: skip it (at the transport's end it must run, to end the input).
        if (!this.transportEnded && this.n.crypto.BIO_ctrl_pending(this.rbio) === 0) {
          this.rbioFresh = false;
          break;
        }
        continue;
      }
      const e = ssl.SSL_get_error(this.ssl, r);
      if (e === SSL_ERROR_WANT_READ) {
        this.rbioFresh = false;
        // Only post-handshake messages (session tickets) were read: OpenSSL set up a write buffer for
        // them (~17 KiB) that SSL_MODE_RELEASE_BUFFERS frees only after a write. Free it (and an empty
        // read buffer) now; SSL_free_buffers leaves buffers that hold data.
        if (!produced && this.handshakeDone && this.pendingWrite === null) ssl.SSL_free_buffers(this.ssl);
        if (this.transportEnded) this.endInput();
        break;
      }
      if (e === SSL_ERROR_ZERO_RETURN) {
        this.endInput();
        break;
      }
      const errors = drainErrors();
      if (this.transportEnded && (e === SSL_ERROR_SYSCALL || errors.some((x) => /unexpected eof/i.test(x.reason)))) {
        this.endInput(); // the peer closed without close_notify: end of stream
        break;
      }
      this.fail(ioError(this.who, e, errors, 'read failed'));
      return;
    }
    // Reading may answer (key update, alerts, renegotiation). When a write waits (a reader that answered
    // from its 'data' handler), the pumpWrite that follows in drive() sends the answer ahead of it.
    if (called && (this.pendingWrite === null || this.transportBlocked || !this.isOpen)) this.flushOut();
  }

  private endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.writeWantsRead = false;
    if (!this.inputClosed) this.inputPort.push(null);
  }

  private pumpWrite(): void {
    const w = this.pendingWrite;
    if (!w || this.transportBlocked) return;
    const { ssl } = this.n;
    const chunks = w.chunks;
    while (w.index < chunks.length) {
      const chunk = chunks[w.index]!;
      if (w.offset >= chunk.length) {
        w.index++;
        w.offset = 0;
        continue;
      }
      const len = Math.min(SLICE, chunk.length - w.offset);
      let r: number;
      if (len <= STAGE && !sharedInUse) {
        // A small write costs less copied into the stage and passed by address than passed as a Buffer.
        if (w.offset === 0 && len === chunk.length) stage.set(chunk);
        else stage.set(chunk.subarray(w.offset, w.offset + len));
        sharedInUse = true;
        try {
          r = ssl.SSL_write_at(this.ssl, stageAddr, len);
        } finally {
          sharedInUse = false;
        }
      } else r = ssl.SSL_write(this.ssl, w.offset === 0 && len === chunk.length ? chunk : chunk.subarray(w.offset, w.offset + len), len);
      if (r > 0) {
        w.offset += r;
        this.writeWantsRead = false;
        // Gather the records: one transport write per BATCH bytes.
        if (this.collectOut() >= BATCH) {
          this.sendBatch();
          if (this.transportBlocked) return;
        }
        continue;
      }
      const e = ssl.SSL_get_error(this.ssl, r);
      const errors = e === SSL_ERROR_WANT_READ ? null : drainErrors(); // before the transport write runs JavaScript
      this.flushOut();
      if (e === SSL_ERROR_WANT_READ) {
        this.writeWantsRead = true; // renegotiation in progress: needs the peer's answer
        this.transportIn.resume();
        return;
      }
      this.pendingWrite = null;
      const err = ioError(this.who, e, errors ?? [], 'write failed');
      w.cb(this.noteError(err));
      this.fail(err);
      return;
    }
    if (this.batchSlab !== null) {
      // A small write goes out at once (latency); bulk writes made in one go (a loop of write() calls
      // or the port's buffered writes) are gathered until the next tick, up to BATCH bytes a write.
      if (w.size < SLICE) this.sendBatch();
      else if (!this.batchScheduled) {
        this.batchScheduled = true;
        process.nextTick(this.sendLater);
      }
      if (this.transportBlocked) return; // the write completes on 'drain'
    }
    this.pendingWrite = null;
    if (this.transportGone) w.cb(this.transportGoneError());
    else w.cb();
  }

  /**
   * Memory BIOs keep the largest size they ever held (the handshake's certificate flights): once the
   * handshake is over and both are empty, give the SSL two fresh ones (SSL_set_bio frees the old).
   */
  private shrinkBios(): void {
    const { crypto, ssl } = this.n;
    if (crypto.BIO_ctrl_pending(this.rbio) !== 0 || crypto.BIO_ctrl_pending(this.wbio) !== 0) return;
    const r = crypto.BIO_new(crypto.BIO_s_mem());
    const w = crypto.BIO_new(crypto.BIO_s_mem());
    if (!r || !w) {
      if (r) crypto.BIO_free(r);
      if (w) crypto.BIO_free(w);
      return;
    }
    crypto.BIO_ctrl(r, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, 0);
    ssl.SSL_set_bio(this.ssl, r, w); // frees the previous pair
    this.rbio = r;
    this.wbio = w;
  }

  /** Moves everything OpenSSL wrote to the write BIO (after any gathered batch) onto the transport. Returns bytes moved. */
  flushOut(): number {
    const before = this.batchEnd - this.batchStart;
    const total = this.collectOut() - before;
    this.sendBatch();
    return total;
  }

  /**
   * Reads what OpenSSL wrote to the write BIO into the output slab, after this connection's unsent
   * batch when that is still the slab's last allocation. Returns the size of the batch.
   *
   * Each BIO_read asks for all the room left in the slab (one call, no BIO_ctrl_pending first); an
   * empty memory BIO answers -1.
   */
  private collectOut(): number {
    const { crypto } = this.n;
    for (;;) {
      if (this.batchSlab !== null && (this.batchSlab !== outSlab || this.batchEnd !== outOff || outSlab.length - outOff < MIN_ROOM)) {
        this.sendBatch(); // not contiguous any more (or little room left): send what is gathered first
      }
      if (outSlab.length - outOff < MIN_ROOM) {
        outSlab = Buffer.allocUnsafeSlow(OUT_SLAB);
        outAddr = bufferAddress(outSlab);
        outOff = 0;
      }
      const room = outSlab.length - outOff;
      const r = crypto.BIO_read_at(this.wbio, outAddr + outOff, room);
      if (r <= 0) break;
      if (this.batchSlab === null) {
        this.batchSlab = outSlab;
        this.batchStart = outOff;
      }
      outOff += r;
      this.batchEnd = outOff;
      if (r < room) break; // the BIO is empty
    }
    return this.batchEnd - this.batchStart;
  }

  /**
   * Writes the gathered batch to the transport. A socket that took the whole write at once (nothing
   * left in its queue: libuv passed the bytes to the kernel and kept no reference) gives the batch's
   * room in the output slab back, so steady traffic reuses the same memory instead of new slabs.
   */
  private sendBatch(): void {
    const slab = this.batchSlab;
    if (slab === null) return;
    const start = this.batchStart;
    const end = this.batchEnd;
    this.batchSlab = null;
    this.batchStart = this.batchEnd = 0;
    const out = this.transportOut;
    if (out.destroyed || out.writableEnded) {
      this.transportGone = true; // the bytes cannot be sent: the write they belong to fails
      return;
    }
    if (!out.write(slab.subarray(start, end))) this.transportBlocked = true;
    else if (this.socket !== null && out.writableLength === 0 && slab === outSlab && outOff === end) outOff = start;
  }

  // ---- port callbacks ----

  onInputRead(): void {
    this.wantRead = true;
    // resume() schedules work even on a flowing stream: only call it when the transport is paused.
    if (this.state === 'open' && !this.transportEnded && this.transportIn.isPaused()) this.transportIn.resume();
    this.drive();
  }

  onOutputWrite(chunk: Buffer, cb: (err?: Error | null) => void): void {
    this.onOutputWritev([chunk], cb);
  }

  onOutputWritev(chunks: readonly Buffer[], cb: (err?: Error | null) => void): void {
    if (this.error) return cb(this.raisedError ?? this.error);
    if (this.state === 'open' && !this.transportWritable()) this.transportGone = true;
    if (this.transportGone) {
      cb(this.raised(this.transportGoneError()));
      this.settle();
      return;
    }
    if (this.state === 'closed') return cb(this.raised(new SslError(`${this.who}: write failed (the connection is closed)`, { code: 'ERR_SSL_CLOSED' })));
    let size = 0;
    for (const c of chunks) size += c.length;
    if (size === 0) return cb();
    this.pendingWrite = { chunks, index: 0, offset: 0, cb, size };
    // The common case needs no reading first: encrypt and send straight away.
    if (this.state === 'open' && !this.busy && !this.writeWantsRead && !this.verifyWaiter) {
      this.busy++;
      try {
        this.pumpWrite();
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
    if (this.state !== 'open' || !this.shutdownOnClose || this.outputPort.abandoned) return cb();
    this.closeNotify(cb);
  }

  /**
   * Sends close_notify now, whatever `shutdownOnClose` says (the socket view's `end()`), with every
   * record gathered before it; `cb` once the transport has taken them.
   */
  closeNotify(cb: (err?: Error | null) => void): void {
    if (this.state !== 'open' || this.released || !this.transportWritable()) return cb();
    const { ssl } = this.n;
    ssl.SSL_shutdown(this.ssl);
    clearErrors();
    this.flushOut();
    if (!this.transportBlocked) return cb();
    this.transportOut.once('drain', () => cb());
  }

  onPortClosed(which: 'input' | 'output'): void {
    if (which === 'input') {
      if (this.inputClosed) return;
      this.inputClosed = true;
    } else {
      if (this.outputClosed) return;
      this.outputClosed = true;
    }
    if (this.inputClosed && this.outputClosed) this.closeAll();
    else if (which === 'input' && this.state === 'open') this.drive();
    else if (which === 'output' && this.state === 'open') {
      // Only the input can still be used: keep reading (up to the input port's buffer) so that the
      // peer's end is seen even when nobody reads, and the connection is freed when it comes.
      if (!this.inputEnded) {
        this.wantRead = true;
        if (!this.transportEnded && this.transportIn.isPaused()) this.transportIn.resume();
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
    if (!this.sessionKey || !this.reuseSession) return false;
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
    return this.transportEnded;
  }

  deliverVerifyRead(chunk: Buffer): void {
    if (!this.inputClosed && !this.inputPort.push(chunk)) this.wantRead = false;
  }

  verificationStarted(w: LiveVerification): void {
    this.verifyWaiter = w;
    this.transportIn.resume();
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
    return this.ssl ? this.n.ssl.SSL_get_verify_result(this.ssl) : null;
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
  private noteError(err: SslError): Error {
    if (this.error === null) {
      this.error = err;
      this.raisedError = this.raised(err);
    }
    return err === this.error ? this.raisedError! : this.raised(err);
  }

  /** Fails the connection: rejects the handshake or errors the ports, closes the transport, frees the SSL. */
  fail(err: SslError): void {
    if (this.state === 'closed') return;
    if (tracing) trace(this.traceLabel, `error: ${err.message}${err.code ? ` [${err.code}${err.verifyCode ? ` ${err.verifyCode}` : ''}]` : ''}`);
    const out = this.noteError(err);
    const wasHandshaking = this.state === 'handshaking';
    this.flushOutQuietly();
    this.state = 'closed';
    if (wasHandshaking) {
      const h = this.handshake;
      this.handshake = null;
      h?.reject(out);
    }
    const w = this.pendingWrite;
    this.pendingWrite = null;
    w?.cb(out);
    const vw = this.verifyWaiter;
    // sslSetVerify/sslTryVerify on the port rejects under its own name, whichever step failed (not
    // converted by raiseAs: as in Racket, that error is the procedure's, not the ports').
    if (vw) vw.reject(err.message.startsWith(`${vw.who}: `) ? err : verifyFailure(vw.who, err));
    // An 'error' event nobody listens to would crash the process: only emit it to listeners.
    for (const port of [this.inputPort, this.outputStrong ?? this.outputWeak.deref()]) {
      if (!port || port.destroyed) continue;
      if (!wasHandshaking && port.listenerCount('error') > 0) port.destroy(out);
      else port.destroy();
    }
    this.shutTransport(true);
    this.release();
  }

  private flushOutQuietly(): void {
    try {
      if (this.handle) this.flushOut();
    } catch {
      /* the transport is gone */
    }
  }

  private closeAll(): void {
    if (this.state === 'closed') return;
    if (tracing) trace(this.traceLabel, 'closed');
    this.state = 'closed';
    this.flushOutQuietly();
    const h = this.handshake;
    this.handshake = null;
    if (h) h.reject(this.raised(new SslError(`${this.who}: ${this.failedWord()} (closed)`, { code: 'ERR_SSL_CLOSED' })));
    this.shutTransport(false);
    this.release();
  }

  private shutTransport(failed: boolean): void {
    this.transportIn.off('data', this.onData);
    this.transportIn.off('end', this.onEnd);
    this.transportOut.off('drain', this.onDrain);
    this.transportIn.off('close', this.onClose);
    this.transportOut.off('close', this.onClose);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.signal?.removeEventListener('abort', this.onAbort);
    // Keep an error listener: a late error of a transport we let go of must not crash the process.
    if (this.closeTransport) {
      if (this.socket) {
        if (failed) this.socket.destroy();
        else {
          this.socket.end();
          this.socket.once('finish', () => this.socket?.destroy());
        }
      } else {
        if (!this.transportOut.destroyed && !this.transportOut.writableEnded) this.transportOut.end();
        if (!this.transportIn.destroyed) this.transportIn.destroy();
      }
    } else {
      this.transportIn.pause();
      this.transportIn.off('error', this.onError);
      this.transportOut.off('error', this.onError);
    }
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
    OUTPUT_COLLECTED.unregister(this);
    const s = this.handle;
    this.handle = 0;
    this.state = 'closed';
    detachHooks(s);
    // OpenSSL drops a session from the server cache when its connection is freed without a sent
    // shutdown; a connection that ended without error keeps its session resumable whatever the close.
    if (this.handshakeDone && this.error === null) this.n.ssl.SSL_set_shutdown(s, this.n.ssl.SSL_get_shutdown(s) | SSL_SENT_SHUTDOWN);
    this.n.ssl.SSL_free(s);
    freed('SSL');
    freed('BIO');
    freed('BIO');
  }

}
