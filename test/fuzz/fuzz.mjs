// A mutation fuzzer for the TLS engine: real handshake flights, captured from our own client and
// server, are mutated (random bytes, truncation, duplication, bit flips, oversized and absurd lengths,
// zero-length records, wrong types and versions, odd chunking) and fed to a server (accept mode) or a
// client (connect mode) over in-memory streams. Every case must settle — with an SslError or a clean
// end — within its watchdog: no crash, no hang, no unhandled rejection.
import { PassThrough, Writable } from 'node:stream';
import * as o from '../../dist/index.js';
import { cert } from '../support/helpers.mjs';

/** A small deterministic PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

function serverContext(kind) {
  return o.sslMakeServerContext('auto', {
    certificateChain: cert(kind === 'ecdsa' ? 'server-ecdsa-chain.pem' : 'server-rsa-chain.pem'),
    privateKey: ['pem', cert(kind === 'ecdsa' ? 'server-ecdsa.key' : 'server-rsa.key')],
  });
}

/** Records what each side of a real handshake (plus a little data) sends. */
export async function captureFlights(protocol = 'auto', kind = 'rsa') {
  const c2s = new PassThrough();
  const s2c = new PassThrough();
  const fromClient = [];
  const fromServer = [];
  const recorder = (target, log) =>
    new Writable({
      write(chunk, _e, cb) {
        log.push(Buffer.from(chunk));
        target.write(chunk);
        cb();
      },
    });
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(c2s, recorder(s2c, fromServer), { mode: 'accept', context: serverContext(kind) }),
    o.portsToSslPorts(s2c, recorder(c2s, fromClient), { mode: 'connect', encrypt: protocol, hostname: 'localhost' }),
  ]);
  cout.write('hello');
  await new Promise((r) => sin.once('data', r));
  sout.write('world');
  await new Promise((r) => cin.once('data', r));
  for (const p of [sin, sout, cin, cout]) p.destroy();
  return { fromClient: Buffer.concat(fromClient), fromServer: Buffer.concat(fromServer) };
}

/** Splits TLS records (as far as the bytes look like records). */
function records(buf) {
  const out = [];
  let i = 0;
  while (i + 5 <= buf.length) {
    const len = buf.readUInt16BE(i + 3);
    out.push(buf.subarray(i, Math.min(buf.length, i + 5 + len)));
    i += 5 + len;
  }
  if (i < buf.length) out.push(buf.subarray(i));
  return out;
}

const MUTATORS = {
  random: (r, b) => Buffer.from(Array.from({ length: r.int(600) }, () => r.int(256))),
  truncate: (r, b) => b.subarray(0, r.int(b.length)),
  bitflip: (r, b) => {
    const c = Buffer.from(b);
    if (c.length === 0) return c;
    for (let k = 1 + r.int(8); k > 0; k--) c[r.int(c.length)] ^= 1 << r.int(8);
    return c;
  },
  duplicate: (r, b) => {
    const recs = records(b);
    if (recs.length === 0) return b;
    const i = r.int(recs.length);
    recs.splice(i, 0, recs[i]);
    return Buffer.concat(recs);
  },
  oversized: (r, b) => {
    const c = Buffer.from(b);
    const recs = records(c);
    let off = 0;
    const target = r.int(recs.length);
    for (let i = 0; i < target; i++) off += recs[i].length;
    if (off + 5 <= c.length) c.writeUInt16BE(r.pick([0xffff, 16384 + 2048 + 1, 18433, 0x8000]), off + 3);
    return c;
  },
  absurdHandshakeLength: (r, b) => {
    const c = Buffer.from(b);
    if (c.length > 9 && c[0] === 22) c.writeUIntBE(r.pick([0xffffff, 0x7fffff, 0x10000]), 6, 3);
    return c;
  },
  zeroLength: (r, b) => {
    const recs = records(b);
    const i = r.int(recs.length + 1);
    recs.splice(i, 0, Buffer.from([r.pick([20, 21, 22, 23]), 3, 3, 0, 0]));
    return Buffer.concat(recs);
  },
  typeVersion: (r, b) => {
    const c = Buffer.from(b);
    const recs = records(c);
    let off = 0;
    const target = r.int(recs.length);
    for (let i = 0; i < target; i++) off += recs[i].length;
    if (off + 3 <= c.length) {
      if (r.next() < 0.5) c[off] = r.int(256);
      else c.writeUInt16BE(r.pick([0x0000, 0x0200, 0x0300, 0x0305, 0xfefd, 0xffff]), off + 1);
    }
    return c;
  },
  splice: (r, b) => {
    const i = r.int(b.length);
    return Buffer.concat([b.subarray(0, i), Buffer.from(Array.from({ length: 1 + r.int(40) }, () => r.int(256))), b.subarray(i)]);
  },
};
export const MUTATOR_NAMES = Object.keys(MUTATORS);

/** Runs one case: feeds `bytes` in random chunks to a fresh endpoint; resolves its outcome. */
function runCase(r, bytes, mode, context, timeoutMs) {
  const input = new PassThrough();
  const output = new Writable({ write: (_c, _e, cb) => cb() });
  const settled = o
    .portsToSslPorts(input, output, mode === 'accept' ? { mode, context, timeout: timeoutMs } : { mode, context, hostname: 'localhost', timeout: timeoutMs })
    .then(
      (ports) => {
        for (const p of ports) p.destroy();
        return 'completed';
      },
      (e) => (o.isSslError(e) ? 'ssl-error' : `other-error: ${e?.message}`),
    );
  let off = 0;
  while (off < bytes.length) {
    const n = 1 + r.int(r.next() < 0.2 ? 8 : 2048);
    input.write(bytes.subarray(off, off + n));
    off += n;
  }
  if (r.next() < 0.8) input.end();
  // Otherwise the handshake waits for more: the timeout must end it.
  return settled;
}

/**
 * Runs `cases` fuzz cases in concurrent batches; returns counts per outcome. Throws on a hang
 * (a case that outlives its watchdog) or an unexpected error kind.
 */
export async function runFuzz({ cases = 10_000, seed = 1, batch = 256, timeoutMs = 200 } = {}) {
  const r = rng(seed);
  const flights = [await captureFlights('tls13', 'rsa'), await captureFlights('tls12', 'ecdsa'), await captureFlights('tls12', 'rsa')];
  const serverCtx = serverContext('rsa');
  const clientCtx = o.sslMakeClientContext('auto');
  const counts = { cases: 0, 'ssl-error': 0, completed: 0, other: 0 };
  const perMutator = Object.fromEntries(MUTATOR_NAMES.map((m) => [m, 0]));
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on('unhandledRejection', onUnhandled);
  // The handshake timeouts are unref'd timers on in-memory streams: keep the process alive meanwhile.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    for (let done = 0; done < cases; ) {
      const n = Math.min(batch, cases - done);
      const running = [];
      for (let i = 0; i < n; i++) {
        const f = r.pick(flights);
        const mode = r.next() < 0.6 ? 'accept' : 'connect';
        const base = mode === 'accept' ? f.fromClient : f.fromServer;
        const m = r.pick(MUTATOR_NAMES);
        perMutator[m]++;
        let bytes = MUTATORS[m](r, base);
        if (r.next() < 0.2) bytes = MUTATORS[r.pick(MUTATOR_NAMES)](r, bytes); // stack two mutations
        const watchdog = new Promise((_, reject) => {
          const t = setTimeout(() => reject(new Error(`fuzz case hung (mutator ${m}, mode ${mode})`)), timeoutMs * 10 + 2000);
          t.unref();
        });
        running.push(Promise.race([runCase(r, bytes, mode, mode === 'accept' ? serverCtx : clientCtx, timeoutMs), watchdog]));
      }
      for (const outcome of await Promise.all(running)) {
        counts.cases++;
        if (outcome === 'ssl-error' || outcome === 'completed') counts[outcome]++;
        else {
          counts.other++;
          throw new Error(`unexpected outcome: ${outcome}`);
        }
      }
      done += n;
    }
  } finally {
    clearInterval(keepAlive);
    process.off('unhandledRejection', onUnhandled);
  }
  return { ...counts, unhandled, perMutator };
}
