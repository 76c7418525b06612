/**
 * The plaintext side of one connection: `SSL_read` into the input port, and the output port's writes
 * through `SSL_write`, with the input slab and the write stage shared by every connection.
 *
 * Both loops run inside the connection's `drive` (or its direct write path), so only one of them runs
 * at a time; the records they make go out through the {@link CiphertextPump}.
 *
 * @module
 */
import { bufferAddress, drainErrors, type Native } from '../ffi/native.js';
import { loadedFreeBuffersRefusesPartialRecords } from '../ffi/known-bugs.js';
import type { Ptr } from '../ffi/bindings.js';
import type { SslError } from '../errors.js';
import type { SslInputPort } from '../ports/ports.js';
import { BATCH, SLICE, type CiphertextPump } from './ciphertext.js';
import type { Lifecycle } from './lifecycle.js';
import { SSL_ERROR_SYSCALL, SSL_ERROR_WANT_READ, SSL_ERROR_ZERO_RETURN, ioError } from './ssl-errors.js';

/**
 * The input slab, shared by every connection: decrypted records of at least {@link HAND_OVER} bytes
 * are read straight into it and handed to the reader as views (the next read goes past them); a slab
 * is freed once nothing views it.
 */
const IN_SLAB = 64 * 1024;
/** Decrypted reads at least this long are handed over as views of the input slab; shorter ones are copied. */
const HAND_OVER = 4096;
// The slabs' addresses go to OpenSSL as numbers (koffi's Buffer checks cost more than a small
// record's call); the module keeps each slab referenced while its address is in use.
let inSlab = Buffer.allocUnsafeSlow(IN_SLAB);
let inAddr = bufferAddress(inSlab);
let inOff = 0;
/** Small plaintext writes are copied here and passed to SSL_write by address. */
const STAGE = 2048;
const stage = Buffer.allocUnsafeSlow(STAGE);
const stageAddr = bufferAddress(stage);
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

/** What the plaintext loops use of their connection. */
export interface PlaintextHost {
  readonly who: string;
  /** The `SSL *` (throws once released). */
  liveSsl(): Ptr;
  /** Lets the transport flow (a renegotiation needs the peer's answer). */
  resumeTransport(): void;
  /** Records the connection's first error; returns what it is raised as. */
  noteError(err: SslError): Error;
  fail(err: SslError): void;
  /** The error of a write that cannot reach the peer any more. */
  transportGoneError(): SslError;
}

/** The read loop and the write pump of one connection. */
export class Plaintext {
  private readonly n: Native;
  private readonly host: PlaintextHost;
  private readonly pump: CiphertextPump;
  /** The connection's state, read (never written) here: which ends are done, whether it is open. */
  private readonly life: Readonly<Lifecycle>;
  private readonly input: SslInputPort;
  /** The reader wants more (the input port asked and has room). */
  wantRead = false;
  /** The input port got its end (close_notify, or the transport's end). */
  inputEnded = false;
  /** SSL_write said WANT_READ (a renegotiation is in progress): the peer's answer is needed to go on. */
  writeWantsRead = false;
  /** The output port's write in progress. */
  pendingWrite: PendingWrite | null = null;

  constructor(n: Native, host: PlaintextHost, pump: CiphertextPump, life: Readonly<Lifecycle>, input: SslInputPort) {
    this.n = n;
    this.host = host;
    this.pump = pump;
    this.life = life;
    this.input = input;
  }

  /** The input port holds its high-water mark of plaintext nobody has read yet: take no more for now. */
  inputFull(): boolean {
    return !this.life.inputClosed && this.input.readableLength >= this.input.readableHighWaterMark;
  }

  // ---- in: SSL_read into the input port ----

  /** Decrypts what the read BIO holds into the input port, as far as the reader wants it. */
  readLoop(): void {
    const { ssl } = this.n;
    const host = this.host;
    const pump = this.pump;
    const life = this.life;
    let called = false;
    let produced = false;
    // Without new ciphertext (or the transport's end) SSL_read can only say WANT_READ again: skip it.
    while (!this.inputEnded && (pump.fresh || life.transportEnded) && (this.wantRead || life.inputClosed || (this.writeWantsRead && !this.inputFull()))) {
      called = true;
      const s = host.liveSsl();
      let r: number;
      let own: Buffer | null = null;
      if (sharedInUse) {
        // Inside another connection's SSL call (from a user callback): this read uses its own memory.
        own = Buffer.allocUnsafe(SLICE);
        r = ssl.SSL_read(s, own, SLICE);
      } else {
        sharedInUse = true;
        try {
          r = ssl.SSL_read_at(s, inAddr + inOff, SLICE);
        } finally {
          sharedInUse = false;
        }
      }
      if (r > 0) {
        produced = true;
        if (life.inputClosed) continue; // nobody reads: discard
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
        this.wantRead = this.input.push(chunk);
        // A record never outgrows SLICE, so with the read BIO empty the next SSL_read could only say
        // WANT_READ: skip it (at the transport's end it must run, to end the input). The pump's record
        // count answers without an FFI call when the socket reads ended on record boundaries.
        if (!life.transportEnded) {
          const left = pump.records;
          if (left > 0 ? --pump.records === 0 : left < 0 && pump.pendingIn() === 0) {
            pump.records = 0;
            pump.fresh = false;
            break;
          }
        }
        continue;
      }
      const e = ssl.SSL_get_error(s, r);
      if (e === SSL_ERROR_WANT_READ) {
        pump.fresh = false;
        if (pump.records > 0) pump.records = 0; // only whole records were there, and none is left
        // Only post-handshake messages (session tickets) were read, and the connection may now stay idle:
        // free OpenSSL's buffers (~17 KiB each) at once, and replace the read BIO, which grew to hold
        // those messages after the handshake's BIOs were replaced. SSL_free_buffers returns 0 when part
        // of a record is waiting, and then nothing is replaced. On a release whose SSL_free_buffers
        // frees such a buffer anyway (CVE-2024-4741, see ffi/known-bugs.ts), only when the record count
        // says no part of a record can be inside the SSL.
        if (!produced && life.handshakeDone && this.pendingWrite === null && (loadedFreeBuffersRefusesPartialRecords || pump.records === 0) && ssl.SSL_free_buffers(s) === 1) pump.renewReadBio();
        if (life.transportEnded) this.endInput();
        break;
      }
      if (e === SSL_ERROR_ZERO_RETURN) {
        this.endInput();
        break;
      }
      const errors = drainErrors();
      if (life.transportEnded && (e === SSL_ERROR_SYSCALL || errors.some((x) => /unexpected eof/i.test(x.reason)))) {
        this.endInput(); // the peer closed without close_notify: end of stream
        break;
      }
      host.fail(ioError(host.who, e, errors, 'read failed'));
      return;
    }
    // Reading may answer (key update, alerts, renegotiation). When a write waits (a reader that answered
    // from its 'data' handler), the write pump that follows in drive() sends the answer ahead of it.
    if (called && (this.pendingWrite === null || pump.blocked || life.state !== 'open')) pump.flush();
  }

  /** Ends the input port (once). */
  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.writeWantsRead = false;
    if (!this.life.inputClosed) this.input.push(null);
  }

  /** Plaintext the live verification read while processing the peer's handshake messages. */
  deliver(chunk: Buffer): void {
    if (!this.life.inputClosed && !this.input.push(chunk)) this.wantRead = false;
  }

  // ---- out: the output port's writes through SSL_write ----

  /** Starts an output-port write of `size` bytes in `chunks` (run by {@link pumpWrite}). */
  beginWrite(chunks: readonly Buffer[], size: number, cb: (err?: Error | null) => void): void {
    this.pendingWrite = { chunks, index: 0, offset: 0, cb, size };
  }

  /** Fails the pending write, if any, with `err`. */
  failWrite(err: Error): void {
    const w = this.pendingWrite;
    this.pendingWrite = null;
    w?.cb(err);
  }

  /** Encrypts the pending write and hands its records to the pump; its callback runs once the transport took them. */
  pumpWrite(): void {
    const w = this.pendingWrite;
    const pump = this.pump;
    if (!w || pump.blocked) return;
    const { ssl } = this.n;
    const host = this.host;
    const chunks = w.chunks;
    while (w.index < chunks.length) {
      const chunk = chunks[w.index]!;
      if (w.offset >= chunk.length) {
        w.index++;
        w.offset = 0;
        continue;
      }
      const len = Math.min(SLICE, chunk.length - w.offset);
      const s = host.liveSsl();
      let r: number;
      if (len <= STAGE && !sharedInUse) {
        // A small write costs less copied into the stage and passed by address than passed as a Buffer.
        if (w.offset === 0 && len === chunk.length) stage.set(chunk);
        else stage.set(chunk.subarray(w.offset, w.offset + len));
        sharedInUse = true;
        try {
          r = ssl.SSL_write_at(s, stageAddr, len);
        } finally {
          sharedInUse = false;
        }
      } else r = ssl.SSL_write(s, w.offset === 0 && len === chunk.length ? chunk : chunk.subarray(w.offset, w.offset + len), len);
      if (r > 0) {
        w.offset += r;
        this.writeWantsRead = false;
        // Gather the records: one transport write per BATCH bytes.
        if (pump.collect() >= BATCH) {
          pump.send();
          if (pump.blocked) return;
        }
        continue;
      }
      const e = ssl.SSL_get_error(s, r);
      const errors = e === SSL_ERROR_WANT_READ ? null : drainErrors(); // before the transport write runs JavaScript
      pump.flush();
      if (e === SSL_ERROR_WANT_READ) {
        this.writeWantsRead = true; // renegotiation in progress: needs the peer's answer
        host.resumeTransport();
        return;
      }
      this.pendingWrite = null;
      const err = ioError(host.who, e, errors ?? [], 'write failed');
      w.cb(host.noteError(err));
      host.fail(err);
      return;
    }
    if (pump.hasBatch) {
      // A small write goes out at once (latency); bulk writes made in one go (a loop of write() calls
      // or the port's buffered writes) are gathered until the next tick, up to BATCH bytes a write.
      if (w.size < SLICE) pump.send();
      else pump.sendSoon();
      if (pump.blocked) return; // the write completes on 'drain'
    }
    this.pendingWrite = null;
    if (pump.gone) w.cb(host.transportGoneError());
    else w.cb();
  }
}
