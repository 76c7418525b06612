/**
 * OpenSSL's record buffers (about 17 KiB to read and 17 KiB to write, per connection) are kept while a
 * connection is busy and freed once it has been idle for a sweep period.
 *
 * `SSL_MODE_RELEASE_BUFFERS` frees them after every record instead, and a small record then pays for
 * a malloc and a free of each buffer on both sides: about 3k of the 66k instructions of a 64-byte round
 * trip on the system OpenSSL (`bench/instructions.mjs pingpong`). An idle connection must not keep them either (node:tls
 * does: 16 KiB a pair that this library's RSS figure does not carry). So each connection's ciphertext
 * pump reports its activity here ({@link noteActive}: one field write), and a timer that runs only
 * while some connection may hold buffers frees them with `SSL_free_buffers` from those that saw no
 * activity for a whole period (between one and two periods after their last record).
 *
 * Only where `SSL_free_buffers` leaves a partly received record alone (OpenSSL 3.0.14, 3.1.6, 3.2.2,
 * 3.3.1 and later; CVE-2024-4741): on an older release contexts keep `SSL_MODE_RELEASE_BUFFERS` and
 * nothing is kept or swept.
 *
 * @module
 */
import { loadedFreeBuffersRefusesPartialRecords } from '../ffi/known-bugs.js';

/** The sweep period: an idle connection gives its buffers back 25 to 50 ms after its last record. */
const SWEEP_MS = 25;

/** What the sweep needs of a connection that may hold buffers (its ciphertext pump). */
export interface BufferHolder {
  /** The sweep in which it was last active (written by {@link noteActive}). */
  activeIn: number;
  /** Whether it is in the sweep's set. */
  swept: boolean;
  /**
   * Frees OpenSSL's buffers if the connection can: returns false when they hold data (keep trying),
   * true when they were freed or the `SSL` is gone (stop).
   */
  freeIdleBuffers(): boolean;
}

const holders = new Set<BufferHolder>();
let period = 0;
let timer: NodeJS.Timeout | null = null;

function sweep(): void {
  const last = period++;
  for (const h of holders) {
    if (h.activeIn >= last) continue; // active in the period that just ended
    if (h.freeIdleBuffers()) {
      holders.delete(h);
      h.swept = false;
    }
  }
  if (holders.size === 0 && timer) {
    clearInterval(timer);
    timer = null;
  }
}

/** `h` ran OpenSSL on a record: it may hold buffers until it has been idle for a period. */
export function noteActive(h: BufferHolder): void {
  h.activeIn = period;
  if (h.swept || !loadedFreeBuffersRefusesPartialRecords) return; // contexts keep SSL_MODE_RELEASE_BUFFERS there
  h.swept = true;
  holders.add(h);
  if (!timer) {
    timer = setInterval(sweep, SWEEP_MS);
    timer.unref();
  }
}

/**
 * `h`'s `SSL` was freed (its buffers with it): the sweep lets go of it at once, so nothing of a closed
 * connection (its transport, and through the transport's listeners the connection and its context) is
 * kept reachable until the next period.
 */
export function forget(h: BufferHolder): void {
  if (!h.swept) return;
  h.swept = false;
  holders.delete(h);
}

/** How many connections may hold buffers now (for tests). */
export function connectionsHoldingBuffers(): number {
  return holders.size;
}
