/**
 * Live verification: `sslSetVerify` / `sslTryVerify` on a port run a renegotiation (TLS 1.2) or
 * post-handshake authentication (TLS 1.3) and wait for the peer's answer. One {@link LiveVerification}
 * per pending exchange owns its state (started, settled, the timer, whether the peer's Finished was
 * seen); the connection holds at most one and drives it through {@link LiveVerification.step}.
 *
 * @module
 */
import { SslError, reasonCode } from '../errors.js';
import { clearErrors, drainErrors, type Native } from '../ffi/native.js';
import { trampolines } from '../ffi/callbacks.js';
import type { Ptr } from '../ffi/bindings.js';
import { SSL_ERROR_WANT_READ, ioError } from './ssl-errors.js';

const SSL_RECEIVED_SHUTDOWN = 2;
/** Largest plaintext read at once (one TLS record). */
const SLICE = 16 * 1024;
/** How long live verification (renegotiation, post-handshake auth) may wait for the peer. */
const VERIFY_TIMEOUT = 30_000;

/** What a live verification needs of its connection (the connection implements it). */
export interface VerifyHost {
  readonly mode: 'connect' | 'accept';
  verify: 'off' | 'try' | 'require';
  readonly isOpen: boolean;
  readonly released: boolean;
  /** The pending verification, if any. */
  readonly liveVerification: LiveVerification | null;
  /** The `SSL *`; throws `ERR_SSL_CLOSED` once released (never 0). */
  liveSsl(): Ptr;
  /** The peer's end of the transport was seen. */
  readonly peerEnded: boolean;
  applyVerifyMode(postHandshake: boolean): void;
  peerVerified(): boolean;
  verifyResultText(): string;
  verifyResultNumber(): number | null;
  /** Moves what OpenSSL wrote onto the transport. */
  flushOut(): number;
  /** The input port holds its high-water mark: read nothing more for now. */
  inputFull(): boolean;
  /** Plaintext read while processing the peer's handshake messages, for the input port. */
  deliverVerifyRead(chunk: Buffer): void;
  /** `w` is pending: keep the transport flowing and drive. */
  verificationStarted(w: LiveVerification): void;
  /** `w` settled: the connection forgets it. */
  verificationEnded(w: LiveVerification): void;
  fail(err: SslError): void;
}

/**
 * Runs a renegotiation (TLS 1.2) or post-handshake authentication (TLS 1.3) on `host` and waits for
 * it. One at a time: a request while another is pending is refused (`ERR_SSL_VERIFY_PENDING`), leaving
 * the pending one untouched. The pending one settles exactly once: when the peer's Finished arrives,
 * when the exchange fails, after {@link VERIFY_TIMEOUT}, or at once when the connection closes.
 */
export function startLiveVerification(host: VerifyHost, n: Native, s: Ptr, who: string, mode: 'try' | 'require'): Promise<void> {
  const { ssl } = n;
  if (!host.isOpen) return Promise.reject(new SslError(`${who}: failed (the connection is not open)`, { code: 'ERR_SSL_CLOSED' }));
  if (host.liveVerification) {
    return Promise.reject(
      new SslError(`${who}: failed (a verification of this connection is already in progress; wait for it to settle)`, { code: 'ERR_SSL_VERIFY_PENDING' }),
    );
  }
  if (ssl.SSL_get_shutdown(s) & SSL_RECEIVED_SHUTDOWN) {
    return Promise.reject(new SslError(`${who}: failed (the peer has shut the connection down)`, { status: 'zero-return', code: 'ERR_SSL_PEER_SHUTDOWN' }));
  }
  host.verify = mode;
  const tls13 = ssl.SSL_version(s) === 0x0304;
  if (host.mode === 'connect') {
    // A client checks the server's certificate only in a handshake; renegotiate to re-check (TLS 1.2).
    host.applyVerifyMode(false);
    if (tls13) {
      try {
        checkPeerNow(host, who);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    }
  } else {
    host.applyVerifyMode(tls13);
  }
  // The exchange is over when the peer's Finished arrives (seen by the message callback).
  ssl.SSL_set_msg_callback(s, trampolines?.message ?? null);
  clearErrors();
  const r = tls13 ? ssl.SSL_verify_client_post_handshake(s) : ssl.SSL_renegotiate(s);
  if (r !== 1) {
    const errors = drainErrors();
    ssl.SSL_set_msg_callback(s, null);
    return Promise.reject(new SslError(`${who}: failed (${errors.map((e) => e.reason).join('; ') || 'cannot start renegotiation'})`, { status: 'ssl', code: errors.length ? reasonCode(errors[errors.length - 1]!.reason) : null }));
  }
  return new Promise<void>((resolve, reject) => {
    host.verificationStarted(new LiveVerification(host, n, s, who, mode, resolve, reject));
  });
}

/** For a TLS 1.3 client: check the already-received server certificate against the new policy. */
function checkPeerNow(host: VerifyHost, who: string): void {
  if (host.verify === 'require' && !host.peerVerified()) {
    throw new SslError(`${who}: failed (${host.verifyResultText()})`, { status: 'ssl', code: 'CERTIFICATE_VERIFY_FAILED', verifyResult: host.verifyResultNumber() });
  }
}

/** A pending live verification; {@link resolve} and {@link reject} settle it once. */
export class LiveVerification {
  /** The peer's Finished arrived (it ends its part of a renegotiation or of post-handshake auth). */
  peerFinished = false;
  private started = false;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly host: VerifyHost,
    private readonly n: Native,
    /** The `SSL *` at the start; only used for `SSL_get_error` (the guarded {@link VerifyHost.liveSsl} for calls that use the connection). */
    private readonly s: Ptr,
    readonly who: string,
    private readonly mode: 'try' | 'require',
    private readonly onResolve: () => void,
    private readonly onReject: (e: Error) => void,
  ) {
    // The peer must read for the exchange to progress; never wait forever.
    this.timer = setTimeout(() => {
      if (this.finish()) onReject(new SslError(`${who}: failed (the peer did not answer within ${VERIFY_TIMEOUT} ms)`, { code: 'ETIMEDOUT' }));
    }, VERIFY_TIMEOUT);
    this.timer.unref?.();
  }

  /** OpenSSL's message callback: the peer's Finished ends the exchange. */
  onMessage(written: boolean, contentType: number, firstByte: number): void {
    if (!written && contentType === 22 && firstByte === 20) this.peerFinished = true;
  }

  /** Detaches the waiter (once): no later event can reach this promise. */
  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    this.host.verificationEnded(this);
    if (!this.host.released) this.n.ssl.SSL_set_msg_callback(this.host.liveSsl(), null);
    return true;
  }

  /** Whether the exchange is over (the first call starts it). */
  check(): boolean {
    if (!this.started) {
      // Kick the exchange: TLS 1.2 needs a handshake call, TLS 1.3 sends the request on the next write/read.
      this.started = true;
      const h = this.n.ssl.SSL_do_handshake(this.host.liveSsl()); // through the guard: the waiter keeps no raw pointer for calls
      if (h !== 1) {
        const e = this.n.ssl.SSL_get_error(this.s, h);
        if (e !== SSL_ERROR_WANT_READ) throw ioError(this.who, e, drainErrors(), 'failed');
      }
      this.host.flushOut();
      return false;
    }
    return this.peerFinished;
  }

  resolve(): void {
    if (!this.finish()) return;
    if (this.mode === 'require' && !this.host.peerVerified()) {
      this.onReject(new SslError(`${this.who}: failed (${this.host.verifyResultText()})`, { status: 'ssl', code: 'CERTIFICATE_VERIFY_FAILED', verifyResult: this.host.verifyResultNumber() }));
    } else this.onResolve();
  }

  reject(e: Error): void {
    if (this.finish()) this.onReject(e);
  }

  /** Runs the exchange as far as it goes with what arrived (from the connection's drive loop). */
  step(): void {
    const host = this.host;
    try {
      // Reading processes the peer's handshake messages.
      const { ssl } = this.n;
      const buf = Buffer.allocUnsafe(SLICE); // a rare path: its own memory
      for (;;) {
        if (this.check()) {
          host.flushOut();
          this.resolve();
          return;
        }
        // Back-pressure: with the input port full, the application reads first (onInputRead drives
        // again); the peer's answer waits behind the data it sent before it.
        if (host.inputFull()) return;
        const r = ssl.SSL_read(host.liveSsl(), buf, SLICE);
        if (r > 0) {
          host.deliverVerifyRead(Buffer.from(buf.subarray(0, r)));
          continue;
        }
        const e = ssl.SSL_get_error(host.liveSsl(), r);
        const errors = e === SSL_ERROR_WANT_READ ? null : drainErrors(); // before the transport write runs JavaScript
        host.flushOut();
        if (e === SSL_ERROR_WANT_READ) {
          if (host.peerEnded) throw new SslError(`${this.who}: failed (connection closed by peer)`, { status: 'syscall' });
          if (this.check()) this.resolve();
          return;
        }
        throw ioError(this.who, e, errors ?? [], 'failed');
      }
    } catch (e) {
      const err = e instanceof SslError ? e : new SslError(String(e));
      this.reject(err);
      host.fail(err);
    }
  }
}
