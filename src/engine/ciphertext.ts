/**
 * The ciphertext pump of one connection: the two memory BIOs of its `SSL`, the transport's bytes into
 * the read BIO (or read in place), and what OpenSSL wrote to the write BIO out to the transport,
 * gathered into batches in a slab shared by every connection.
 *
 * Ownership: the pump makes both BIOs and hands them to the `SSL` (`SSL_set_bio`), which frees them
 * with itself. The connection that owns the `SSL` tells the pump when it frees it
 * ({@link CiphertextPump.sslFreed}); from then on the pump never touches OpenSSL again.
 *
 * @module
 */
import type { Writable } from 'node:stream';
import { bufferAddress, type Native } from '../ffi/native.js';
import { created, freed } from '../ffi/objects.js';
import type { Ptr } from '../ffi/bindings.js';
import { SslError } from '../errors.js';
import { READ_BUFFER, READ_BUFFER_ADDRESS } from './read-buffer.js';
import { forget, noteActive, type BufferHolder } from './idle-buffers.js';

const BIO_C_SET_BUF_MEM_EOF_RETURN = 130;

/** Largest slice handed to OpenSSL at once (one TLS record of plaintext; keeps memory BIOs small). */
export const SLICE = 16 * 1024;
/**
 * Largest piece of ciphertext written into a read BIO at once: one socket read (the client's onread
 * buffer is this size), or a few records of a stream transport, bounding what a BIO grows to.
 */
const FEED = 64 * 1024;
/**
 * The output slab, shared by every connection (one thread, one call at a time): ciphertext is read
 * out of the write BIOs into it, consecutive records of one connection side by side so they go to the
 * transport as one write. Fresh buffers per record cost more than the copying; a slab is freed once
 * nothing views it (the transport's queue may still hold a batch of an older one).
 */
const OUT_SLAB = 256 * 1024;
/** Less room than this left in the output slab (a full record and then some): start a new slab. */
const MIN_ROOM = SLICE + 1024;
/**
 * Ciphertext gathered for one transport write before it is sent: one full record. (64 KiB writes were
 * measured slower on loopback, A/B in alternating runs: bulk server→client 637 → 711 MiB/s,
 * client→server 606 → 640 MiB/s, 8 % less CPU; ping/pong and the stream pair unchanged.)
 */
export const BATCH = 16 * 1024;
// The slab's address goes to OpenSSL as a number (koffi's Buffer checks cost more than a small
// record's call); the module keeps the slab referenced while its address is in use.
let outSlab = Buffer.allocUnsafeSlow(OUT_SLAB);
let outAddr = bufferAddress(outSlab);
let outOff = 0;

/** Sends what a pump held back (see {@link CiphertextPump.sendAfterMicrotasks}); a batch already sent leaves nothing to do. */
function sendHeld(pump: CiphertextPump): void {
  pump.send();
}

/** Who runs OpenSSL on ciphertext just fed (the connection). */
export interface FeedHost {
  afterFeed(): void;
}

/**
 * How many whole TLS records the first `n` bytes of the shared read buffer are (from the 5-byte record
 * headers), or -1 when they do not end on a record boundary.
 */
function wholeRecords(n: number): number {
  const b = READ_BUFFER;
  let off = 0;
  let m = 0;
  while (off + 5 <= n) {
    off += 5 + ((b[off + 3]! << 8) | b[off + 4]!);
    m++;
  }
  return off === n ? m : -1;
}

/** One memory BIO whose empty state means "no data yet" (retry), not EOF. */
function newMemBio(n: Native): Ptr {
  const bio = n.crypto.BIO_new(n.crypto.BIO_s_mem());
  if (bio) n.crypto.BIO_ctrl(bio, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, 0);
  return bio;
}

/** The BIOs of one `SSL` and the path of its ciphertext to and from the transport. */
export class CiphertextPump implements BufferHolder {
  private readonly n: Native;
  /** The `SSL` the BIOs belong to; 0 once its owner freed it. */
  private ssl: Ptr;
  private rbio: Ptr;
  private wbio: Ptr;
  private readonly out: Writable;
  /** The transport is a socket: a write it took whole gives its room in the slab back. */
  private readonly reuseRoom: boolean;
  /** Ciphertext was fed since SSL_read last said WANT_READ: only then can SSL_read make progress. */
  fresh = false;
  /**
   * What the read BIO holds, when known without asking OpenSSL: at most this many whole TLS records and
   * nothing else (no partial record, in the BIO or inside the SSL); -1 when unknown. Socket reads add
   * the records they carry (counted from their headers); each SSL_read that returns data consumed at
   * least one whole record, so the count only ever overestimates, and 0 means the BIO is empty (the
   * read loop then skips asking OpenSSL). Anything fed that does not end on a record boundary, or read
   * in place, makes it unknown until OpenSSL says the BIO is empty.
   */
  records = -1;
  /** The transport's write() said "full": nothing more goes out until 'drain' ({@link drained}). */
  blocked = false;
  /**
   * Nothing more can be sent: the transport closed, or its output was ended by someone else. Writes
   * fail with EPIPE from then on.
   */
  gone = false;
  /** Ciphertext read out of the write BIO and not yet written: outSlab[batchStart, batchEnd) of batchSlab. */
  private batchSlab: Buffer | null = null;
  private batchStart = 0;
  private batchEnd = 0;
  /** A batch of bulk writes goes to the transport at the next tick (or once it reaches BATCH). */
  private batchScheduled = false;
  /** Made on the first bulk write (an idle connection carries no closure for it). */
  private sendLater: (() => void) | null = null;
  /** A socket read is being read in place: the SSL's read BIO is the view (see {@link runInPlace}). */
  private inPlace = false;
  /** Bytes were copied into the read BIO since it was made (only then can it hold room worth giving back). */
  private rbioUsed = false;
  /** The idle sweep's bookkeeping (see engine/idle-buffers.ts). */
  activeIn = 0;
  swept = false;

  /**
   * Gives `ssl` two fresh memory BIOs (it owns them from then on) and writes to `out`. Throws an
   * `SslError` (`who`) when OpenSSL is out of memory; the caller still owns (and frees) `ssl` then.
   */
  constructor(n: Native, ssl: Ptr, out: Writable, reuseRoom: boolean, who: string) {
    this.n = n;
    const rbio = newMemBio(n);
    const wbio = n.crypto.BIO_new(n.crypto.BIO_s_mem());
    if (!rbio || !wbio) {
      if (rbio) n.crypto.BIO_free(rbio);
      if (wbio) n.crypto.BIO_free(wbio);
      throw new SslError(`${who}: out of memory`, { status: 'ssl' });
    }
    created('BIO', rbio);
    created('BIO', wbio);
    n.ssl.SSL_set_bio(ssl, rbio, wbio); // the SSL now owns both BIOs
    this.ssl = ssl;
    this.rbio = rbio;
    this.wbio = wbio;
    this.out = out;
    this.reuseRoom = reuseRoom;
  }

  /** The `SSL` (and both BIOs with it) was freed: the pump touches OpenSSL no more. */
  sslFreed(): void {
    this.ssl = 0;
    forget(this);
    freed('BIO');
    freed('BIO');
  }

  // ---- in: the transport's bytes into OpenSSL ----

  /**
   * `n` bytes of ciphertext at the start of the shared read buffer (a socket read), valid only during
   * the call; `host.afterFeed()` drives OpenSSL on them. With `inPlace` and nothing older waiting, OpenSSL reads
   * them where they are (see {@link runInPlace}); otherwise they are copied into the read BIO first.
   */
  receive(n: number, inPlace: boolean, host: FeedHost): void {
    this.fresh = true;
    noteActive(this);
    if (inPlace && this.n.crypto.BIO_ctrl_pending(this.rbio) === 0) this.runInPlace(n, host);
    else {
      this.rbioUsed = true;
      if (this.records >= 0) {
        const m = wholeRecords(n);
        this.records = m < 0 ? -1 : this.records + m;
      }
      this.n.crypto.BIO_write_at(this.rbio, READ_BUFFER_ADDRESS, n);
      host.afterFeed();
    }
  }

  /**
   * OpenSSL reads the records straight out of the shared read buffer through a read-only memory BIO
   * over it (no copy into the read BIO, no zeroing of its room) while `host.afterFeed()` runs, and whatever it
   * leaves is copied into the connection's own read BIO before this returns.
   *
   * Ownership and lifetime of the view: the read-only BIO points into `READ_BUFFER`, which lives as
   * long as the process and is not reused before this call returns (the next socket read comes from
   * the event loop). While it is installed the SSL owns it as its read BIO and this call holds the one
   * extra reference taken on the connection's own read BIO; before returning, that BIO is put back
   * (SSL_set0_rbio frees the view BIO), or, when the SSL was freed meanwhile (SSL_free freed the view
   * BIO with it), freed here. So the view never outlives this call.
   */
  private runInPlace(n: number, host: FeedHost): void {
    const { crypto, ssl } = this.n;
    const own = this.rbio;
    this.records = -1; // not counted: what OpenSSL leaves of the view is copied back, maybe mid-record
    const view = crypto.BIO_new_mem_buf_at(READ_BUFFER_ADDRESS, n);
    if (!view || crypto.BIO_up_ref(own) !== 1) {
      if (view) crypto.BIO_free(view);
      this.rbioUsed = true;
      crypto.BIO_write_at(own, READ_BUFFER_ADDRESS, n);
      host.afterFeed();
      return;
    }
    created('BIO', view);
    crypto.BIO_ctrl(view, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, 0); // empty means "no data yet", as for the own BIO
    const s = this.ssl;
    ssl.SSL_set0_rbio(s, view);
    this.rbio = view;
    this.inPlace = true;
    try {
      host.afterFeed();
    } finally {
      this.inPlace = false;
      if (this.ssl === s && this.rbio === view) {
        const left = crypto.BIO_ctrl_pending(view);
        if (left > 0) {
          this.rbioUsed = true;
          crypto.BIO_write_at(own, READ_BUFFER_ADDRESS + (n - left), left);
        }
        ssl.SSL_set0_rbio(s, own); // frees the view BIO
        freed('BIO');
        this.rbio = own;
      } else {
        crypto.BIO_free(own); // the SSL (and the view BIO with it) is gone: drop the reference taken above
        freed('BIO');
      }
    }
  }

  /** Copies ciphertext of the caller's into the read BIO. */
  feed(chunk: Buffer): void {
    const { crypto } = this.n;
    this.fresh = true;
    noteActive(this);
    this.rbioUsed = true;
    this.records = -1;
    for (let off = 0; off < chunk.length; off += FEED) {
      const len = Math.min(FEED, chunk.length - off);
      crypto.BIO_write(this.rbio, off === 0 && len === chunk.length ? chunk : chunk.subarray(off, off + len), len);
    }
  }

  /**
   * The idle sweep's call: frees OpenSSL's record buffers unless they hold data (SSL_free_buffers
   * refuses then; the sweep asks again later). Not while a socket read is read in place (the sweep runs
   * from a timer, never inside an SSL call, so that cannot happen, but the view must never be touched).
   * True once they are freed or the SSL is gone.
   */
  freeIdleBuffers(): boolean {
    if (!this.ssl) return true;
    if (this.inPlace) return false;
    return this.n.ssl.SSL_free_buffers(this.ssl) === 1;
  }

  /** Ciphertext waiting in the read BIO. */
  pendingIn(): number {
    return this.n.crypto.BIO_ctrl_pending(this.rbio);
  }

  /**
   * Memory BIOs keep the largest size they ever held (the handshake's certificate flights): once the
   * handshake is over and both are empty, give the SSL two fresh ones (SSL_set_bio frees the old).
   */
  shrink(): void {
    const { crypto, ssl } = this.n;
    if (!this.ssl || crypto.BIO_ctrl_pending(this.rbio) !== 0 || crypto.BIO_ctrl_pending(this.wbio) !== 0) return;
    const r = newMemBio(this.n);
    const w = crypto.BIO_new(crypto.BIO_s_mem());
    if (!r || !w) {
      if (r) crypto.BIO_free(r);
      if (w) crypto.BIO_free(w);
      return;
    }
    ssl.SSL_set_bio(this.ssl, r, w); // frees the previous pair
    this.rbio = r;
    this.wbio = w;
    this.rbioUsed = false;
  }

  /**
   * The read BIO keeps the room of the most it ever held: once it is empty again after post-handshake
   * messages (the TLS 1.3 session tickets a client reads after its handshake), give the SSL a fresh
   * one (SSL_set0_rbio frees the old). Not while a socket read is read in place: the SSL's read BIO
   * is then the view, which that call puts back itself. Nothing to do for a BIO nothing was copied
   * into (right after the handshake's BIOs were replaced, or after reads in place only).
   */
  renewReadBio(): void {
    const { crypto, ssl } = this.n;
    if (!this.ssl || this.inPlace || !this.rbioUsed || crypto.BIO_ctrl_pending(this.rbio) !== 0) return;
    const r = newMemBio(this.n);
    if (!r) return;
    ssl.SSL_set0_rbio(this.ssl, r); // frees the previous read BIO
    this.rbio = r;
    this.rbioUsed = false;
  }

  // ---- out: OpenSSL's records onto the transport ----

  /** Whether records are gathered and not yet written. */
  get hasBatch(): boolean {
    return this.batchSlab !== null;
  }

  /** Moves everything OpenSSL wrote to the write BIO (after any gathered batch) onto the transport. Returns bytes moved. */
  flush(): number {
    const before = this.batchEnd - this.batchStart;
    const total = this.collect() - before;
    this.send();
    return total;
  }

  /** {@link flush} on the way out: nothing once the SSL is freed, and a transport that throws is ignored. */
  flushQuietly(): void {
    try {
      if (this.ssl) this.flush();
    } catch {
      /* the transport is gone */
    }
  }

  /**
   * Reads what OpenSSL wrote to the write BIO into the output slab, after this connection's unsent
   * batch when that is still the slab's last allocation. Returns the size of the batch.
   *
   * Each BIO_read asks for all the room left in the slab (one call, no BIO_ctrl_pending first); an
   * empty memory BIO answers -1.
   */
  collect(): number {
    const { crypto } = this.n;
    for (;;) {
      if (this.batchSlab !== null && (this.batchSlab !== outSlab || this.batchEnd !== outOff || outSlab.length - outOff < MIN_ROOM)) {
        this.send(); // not contiguous any more (or little room left): send what is gathered first
      }
      if (outSlab.length - outOff < MIN_ROOM) {
        outSlab = Buffer.allocUnsafeSlow(OUT_SLAB);
        outAddr = bufferAddress(outSlab);
        outOff = 0;
      }
      const room = outSlab.length - outOff;
      const r = crypto.BIO_read_at(this.wbio, outAddr + outOff, room);
      if (r <= 0) break;
      noteActive(this);
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

  /** Sends the gathered batch at the next tick, so that bulk writes made in one go share transport writes. */
  sendSoon(): void {
    if (this.batchScheduled) return;
    this.batchScheduled = true;
    process.nextTick(
      (this.sendLater ??= () => {
        this.batchScheduled = false;
        this.send();
      }),
    );
  }

  /**
   * Sends the gathered batch once the microtasks queued so far have run (a `process.nextTick` queued
   * from a microtask runs after the whole microtask queue): a write the application makes in them
   * (the first thing a server sends on a connection it was just handed through promises) joins the
   * batch, and both go to the transport in one write. Bytes and their order are unchanged.
   */
  sendAfterMicrotasks(): void {
    if (this.batchSlab === null) return;
    queueMicrotask(() => process.nextTick(sendHeld, this));
  }

  /**
   * Writes the gathered batch to the transport. A socket that took the whole write at once (nothing
   * left in its queue: libuv passed the bytes to the kernel and kept no reference) gives the batch's
   * room in the output slab back, so steady traffic reuses the same memory instead of new slabs.
   */
  send(): void {
    const slab = this.batchSlab;
    if (slab === null) return;
    const start = this.batchStart;
    const end = this.batchEnd;
    this.batchSlab = null;
    this.batchStart = this.batchEnd = 0;
    const out = this.out;
    if (out.destroyed || out.writableEnded) {
      this.gone = true; // the bytes cannot be sent: the write they belong to fails
      return;
    }
    if (!out.write(slab.subarray(start, end))) this.blocked = true;
    else if (this.reuseRoom && out.writableLength === 0 && slab === outSlab && outOff === end) outOff = start;
  }

  /** The transport drained: returns whether it had been blocked (and so whether there is work to resume). */
  drained(): boolean {
    if (!this.blocked) return false;
    this.blocked = false;
    return true;
  }

  /** Whether the transport can still take bytes. */
  writable(): boolean {
    return !this.out.destroyed && !this.out.writableEnded;
  }
}
