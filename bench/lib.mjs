// Shared pieces of the benchmark: timing, medians, certificates, stream helpers and the in-memory
// Duplex pair both implementations run over.
import { readFileSync } from 'node:fs';
import * as stream from 'node:stream';
import { fileURLToPath } from 'node:url';

/** Path of a file in certs/. */
export const certPath = (name) => fileURLToPath(new URL(`../certs/${name}`, import.meta.url));
/** Contents of a file in certs/. */
export const pem = (name) => readFileSync(certPath(name));

/** The server credentials of each key kind (leaf + intermediate chain, as servers must send). */
export const KEYS = {
  ecdsa: { chain: 'server-ecdsa-chain.pem', key: 'server-ecdsa.key' },
  rsa: { chain: 'server-rsa-chain.pem', key: 'server-rsa.key' },
};

export const now = () => process.hrtime.bigint();
export const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Resolves once `n` bytes (or more) arrived on a Readable; the bytes are counted, not kept. */
export function drain(readable, n) {
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (c) => {
      got += c.length;
      if (got >= n) {
        readable.off('data', onData);
        readable.off('error', reject);
        resolve();
      }
    };
    readable.on('data', onData);
    readable.once('error', reject);
  });
}

/** Writes `total` bytes as repeated `block`s, honouring back-pressure. */
export async function pump(writable, total, block) {
  for (let sent = 0; sent < total; sent += block.length) {
    if (!writable.write(block)) await new Promise((r) => writable.once('drain', r));
  }
}

/** `n` round trips of a 64-byte message against an echo; resolves round trips per second. */
export async function pingPong(readable, writable, n) {
  const msg = Buffer.alloc(64, 1);
  const t0 = now();
  await new Promise((resolve) => {
    let left = n;
    let got = 0;
    const onData = (d) => {
      got += d.length;
      if (got < msg.length) return; // a message may arrive in pieces
      got -= msg.length;
      if (--left === 0) {
        readable.off('data', onData);
        resolve();
      } else writable.write(msg);
    };
    readable.on('data', onData);
    writable.write(msg);
  });
  return n / seconds(t0);
}

const kCallback = Symbol('callback');
/** One side of {@link duplexPair}. */
class DuplexSide extends stream.Duplex {
  constructor() {
    super();
    this.other = null;
    this[kCallback] = null;
  }
  _read() {
    const cb = this[kCallback];
    if (cb) {
      this[kCallback] = null;
      cb();
    }
  }
  _write(chunk, _encoding, cb) {
    if (chunk.length === 0) process.nextTick(cb);
    else {
      this.other.push(chunk);
      this.other[kCallback] = cb; // the write completes when the other side wants more
    }
  }
  _final(cb) {
    this.other.on('end', cb);
    this.other.push(null);
  }
}

/**
 * An in-memory Duplex pair (what one side writes, the other reads) with back-pressure: Node's own
 * `stream.duplexPair()` (Node ≥ 22.6), or the same implementation on older Node. (A pair whose
 * writes complete at once, whatever the reader does, buffers without bound when the reader pauses.)
 */
export function duplexPair() {
  if (typeof stream.duplexPair === 'function') return stream.duplexPair();
  const a = new DuplexSide();
  const b = new DuplexSide();
  a.other = b;
  b.other = a;
  return [a, b];
}
