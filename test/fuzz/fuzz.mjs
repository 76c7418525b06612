// A mutation fuzzer for the TLS engine. Real handshake flights, captured from our own client and
// server over in-memory streams, are mutated (random bytes, truncation, duplicated records, bit
// flips, oversized record lengths, absurd handshake lengths, zero-length records, wrong record types
// and versions, inserted junk, odd chunking) and fed to a server (accept mode) or a client (connect
// mode). A third kind of case puts a mutating relay between a live client and a live server, so that
// mutations reach the states after the first flight (TLS 1.2 certificates and key exchange are in
// clear). Every case must settle, with an SslError or a completed handshake, within its watchdog: no
// crash, no hang, no unhandled rejection, no uncaught exception.
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

const LEAVES = {
  rsa: ['server-rsa-chain.pem', 'server-rsa.key'],
  ecdsa: ['server-ecdsa-chain.pem', 'server-ecdsa.key'],
};

/** Server contexts the cases are run against: plain, and one that asks for a client certificate, offers ALPN and switches on SNI. */
function serverContexts() {
  const plain = o.sslMakeServerContext('auto', { certificateChain: cert(LEAVES.rsa[0]), privateKey: ['pem', cert(LEAVES.rsa[1])] });
  const rich = o.sslMakeServerContext('auto', { certificateChain: cert(LEAVES.ecdsa[0]), privateKey: ['pem', cert(LEAVES.ecdsa[1])] });
  o.sslLoadVerifySource(rich, cert('root-ca.pem'));
  o.sslTryVerify(rich, true);
  o.sslSetServerAlpn(rich, [Buffer.from('h2'), Buffer.from('http/1.1')]);
  const sni = o.sslMakeServerContext('auto', { certificateChain: cert('sni-example-chain.pem'), privateKey: ['pem', cert('sni-example.key')] });
  o.sslSetServerNameIdentificationCallback(rich, (name) => (name === 'example.test' ? sni : null));
  return [plain, rich];
}

/** Client contexts: not verifying, and verifying (chain and hostname) with a client certificate. */
function clientContexts() {
  const plain = o.sslMakeClientContext('auto');
  const strict = o.sslMakeClientContext('auto', { certificateChain: cert('client-chain.pem'), privateKey: ['pem', cert('client.key')] });
  o.sslLoadVerifySource(strict, cert('root-ca.pem'));
  o.sslSetVerify(strict, true);
  o.sslSetVerifyHostname(strict, true);
  return [plain, strict];
}

/**
 * Records what each side of a real handshake (plus a little data) sends, over in-memory streams.
 * Options: `protocol` ('tls12' | 'tls13' | 'auto'), `key` ('rsa' | 'ecdsa'), `mtls`, `alpn`.
 */
export async function captureFlights({ protocol = 'auto', key = 'rsa', mtls = false, alpn = false } = {}) {
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
  const sctx = o.sslMakeServerContext(protocol, { certificateChain: cert(LEAVES[key][0]), privateKey: ['pem', cert(LEAVES[key][1])] });
  const cctx = o.sslMakeClientContext(protocol, mtls ? { certificateChain: cert('client-chain.pem'), privateKey: ['pem', cert('client.key')] } : {});
  if (mtls) {
    o.sslLoadVerifySource(sctx, cert('root-ca.pem'));
    o.sslSetVerify(sctx, true);
  }
  if (alpn) o.sslSetServerAlpn(sctx, [Buffer.from('http/1.1')]);
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(c2s, recorder(s2c, fromServer), { mode: 'accept', context: sctx, timeout: 5000 }),
    o.portsToSslPorts(s2c, recorder(c2s, fromClient), { mode: 'connect', context: cctx, hostname: 'localhost', timeout: 5000, ...(alpn ? { alpn: [Buffer.from('h2'), Buffer.from('http/1.1')] } : {}) }),
  ]);
  cout.write('hello');
  await new Promise((r) => sin.once('data', r));
  sout.write('world');
  await new Promise((r) => cin.once('data', r));
  for (const p of [sin, sout, cin, cout]) p.destroy();
  return { name: `${protocol}/${key}${mtls ? '/mtls' : ''}${alpn ? '/alpn' : ''}`, fromClient: Buffer.concat(fromClient), fromServer: Buffer.concat(fromServer) };
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

/** Byte offset of record `n` in `buf`. */
function recordOffset(buf, n) {
  let off = 0;
  for (const r of records(buf).slice(0, n)) off += r.length;
  return off;
}

const randomBuf = (r, n) => Buffer.from(Array.from({ length: n }, () => r.int(256)));

const MUTATORS = {
  random: (r) => randomBuf(r, r.int(600)),
  randomAfterHeader: (r, b) => Buffer.concat([b.subarray(0, 5 + r.int(8)), randomBuf(r, r.int(2000))]),
  truncate: (r, b) => b.subarray(0, r.int(b.length)),
  bitflip: (r, b) => {
    const c = Buffer.from(b);
    if (c.length === 0) return c;
    for (let k = 1 + r.int(8); k > 0; k--) c[r.int(c.length)] ^= 1 << r.int(8);
    return c;
  },
  bitflipEarly: (r, b) => {
    // The clear-text part: the first record's headers and handshake fields.
    const c = Buffer.from(b);
    const span = Math.min(c.length, 5 + (records(c)[0]?.length ?? 0));
    if (span > 0) c[r.int(span)] ^= 1 << r.int(8);
    return c;
  },
  byteSet: (r, b) => {
    const c = Buffer.from(b);
    if (c.length) c[r.int(Math.min(c.length, 600))] = r.pick([0x00, 0xff, 0x7f, 0x80, 0x01]);
    return c;
  },
  duplicate: (r, b) => {
    const recs = records(b);
    if (recs.length === 0) return b;
    const i = r.int(recs.length);
    recs.splice(i, 0, recs[i]);
    return Buffer.concat(recs);
  },
  dropRecord: (r, b) => {
    const recs = records(b);
    if (recs.length < 2) return b;
    recs.splice(r.int(recs.length), 1);
    return Buffer.concat(recs);
  },
  swapRecords: (r, b) => {
    const recs = records(b);
    if (recs.length < 2) return b;
    const i = r.int(recs.length - 1);
    [recs[i], recs[i + 1]] = [recs[i + 1], recs[i]];
    return Buffer.concat(recs);
  },
  oversized: (r, b) => {
    const c = Buffer.from(b);
    const off = recordOffset(c, r.int(records(c).length));
    if (off + 5 <= c.length) c.writeUInt16BE(r.pick([0xffff, 16384 + 2048 + 1, 18433, 0x8000, 16385]), off + 3);
    return c;
  },
  absurdHandshakeLength: (r, b) => {
    const c = Buffer.from(b);
    const recs = records(c);
    const hs = recs.map((rec, i) => [rec, i]).filter(([rec]) => rec[0] === 22 && rec.length >= 9);
    if (hs.length === 0) return c;
    const [, i] = r.pick(hs);
    const off = recordOffset(c, i);
    c.writeUIntBE(r.pick([0xffffff, 0x7fffff, 0x10000, 0x4001, 0, 1]), off + 6, 3);
    return c;
  },
  zeroLength: (r, b) => {
    const recs = records(b);
    const i = r.int(recs.length + 1);
    const n = 1 + r.int(r.next() < 0.1 ? 64 : 2);
    for (let k = 0; k < n; k++) recs.splice(i, 0, Buffer.from([r.pick([20, 21, 22, 23, 24]), 3, r.pick([1, 3, 4]), 0, 0]));
    return Buffer.concat(recs);
  },
  typeVersion: (r, b) => {
    const c = Buffer.from(b);
    const off = recordOffset(c, r.int(records(c).length));
    if (off + 3 <= c.length) {
      if (r.next() < 0.5) c[off] = r.pick([0, 19, 20, 21, 22, 23, 24, 25, 128, 255, r.int(256)]);
      else c.writeUInt16BE(r.pick([0x0000, 0x0200, 0x0300, 0x0301, 0x0305, 0xfefd, 0xffff]), off + 1);
    }
    return c;
  },
  splice: (r, b) => {
    const i = r.int(b.length);
    return Buffer.concat([b.subarray(0, i), randomBuf(r, 1 + r.int(40)), b.subarray(i)]);
  },
  alertStorm: (r, b) => {
    const alerts = Array.from({ length: 1 + r.int(40) }, () => Buffer.from([21, 3, 3, 0, 2, r.pick([1, 2]), r.int(256)]));
    return Buffer.concat([b.subarray(0, recordOffset(b, r.int(3))), ...alerts]);
  },
  sslv2Hello: (r) => Buffer.concat([Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10]), randomBuf(r, 37)]),
};
export const MUTATOR_NAMES = Object.keys(MUTATORS);

/** Feeds `bytes` in random chunks (sometimes one byte at a time) to `input`, ending it or not. */
function feed(r, input, bytes) {
  const tiny = r.next() < 0.1;
  let off = 0;
  while (off < bytes.length) {
    const n = tiny ? 1 : 1 + r.int(r.next() < 0.2 ? 8 : 2048);
    input.write(bytes.subarray(off, off + n));
    off += n;
  }
  // Otherwise the handshake waits for more: its timeout must end it.
  if (r.next() < 0.8) input.end();
}

function settle(promise) {
  return promise.then(
    (ports) => {
      for (const p of ports) p.destroy();
      return 'completed';
    },
    (e) => (o.isSslError(e) ? `ssl-error:${e.code === 'ETIMEDOUT' ? 'timeout' : e.status ?? 'none'}` : `other-error: ${e?.stack ?? e}`),
  );
}

/** One replay case: `bytes` as the peer's whole side of the conversation. */
function replayCase(r, bytes, mode, context, timeoutMs) {
  const input = new PassThrough();
  const output = new Writable({ write: (_c, _e, cb) => cb() });
  const opts = mode === 'accept' ? { mode, context, timeout: timeoutMs } : { mode, context, hostname: r.pick(['localhost', 'example.test']), timeout: timeoutMs, reuseSession: false };
  if (mode === 'connect' && r.next() < 0.3) opts.alpn = [Buffer.from('http/1.1')];
  const settled = settle(o.portsToSslPorts(input, output, opts));
  feed(r, input, bytes);
  return settled;
}

/**
 * One relay case: a live client and a live server, with the `target`-th write in one direction
 * mutated on its way. Both sides must settle; the outcome is the pair.
 */
function relayCase(r, mutate, { serverCtx, clientCtx, timeoutMs }) {
  const c2s = new PassThrough();
  const s2c = new PassThrough();
  const direction = r.next() < 0.5 ? 'c2s' : 's2c';
  // The write to mutate: the first flight of that side, or (less often) its second.
  const target = r.next() < 0.7 ? 0 : 1;
  let writes = 0;
  const relay = (to, dir) =>
    new Writable({
      write(chunk, _e, cb) {
        if (dir === direction && writes++ === target) chunk = mutate(r, Buffer.from(chunk));
        if (!to.writableEnded && !to.destroyed) to.write(chunk);
        cb();
      },
      final(cb) {
        if (!to.destroyed) to.end();
        cb();
      },
    });
  const server = settle(o.portsToSslPorts(c2s, relay(s2c, 's2c'), { mode: 'accept', context: serverCtx, timeout: timeoutMs, closeOriginal: true }));
  const client = settle(
    o.portsToSslPorts(s2c, relay(c2s, 'c2s'), { mode: 'connect', context: clientCtx, hostname: 'localhost', timeout: timeoutMs, closeOriginal: true }),
  );
  return Promise.all([client, server]).then(([c, s]) => (c.startsWith('other') ? c : s.startsWith('other') ? s : `relay:${c === 'completed' && s === 'completed' ? 'completed' : 'ssl-error'}`));
}

/**
 * Runs `cases` fuzz cases in concurrent batches: first a sweep that truncates each captured first
 * flight at every few offsets, then random mutations of replayed flights, then (30% of the
 * random cases) relay cases. Returns counts per outcome and per mutator. Throws on a hang (a case
 * that outlives its watchdog) or an outcome other than an SslError or a completed handshake.
 */
export async function runFuzz({ cases = 10_000, seed = 1, batch = 256, timeoutMs = 200, relayShare = 0.3 } = {}) {
  const r = rng(seed);
  const flights = [
    await captureFlights({ protocol: 'tls13', key: 'rsa' }),
    await captureFlights({ protocol: 'tls13', key: 'ecdsa', mtls: true, alpn: true }),
    await captureFlights({ protocol: 'tls12', key: 'ecdsa' }),
    await captureFlights({ protocol: 'tls12', key: 'rsa', mtls: true, alpn: true }),
  ];
  const serverCtxs = serverContexts();
  const clientCtxs = clientContexts();
  // Relay clients: the two above ('auto': TLS 1.3 with our servers) and one pinned to TLS 1.2, where
  // the certificates and the key exchange travel in clear.
  const relayCtx = { server: serverCtxs, client: [...clientCtxs, o.sslMakeClientContext('tls12'), o.sslMakeClientContext('tls12')] };
  const counts = { cases: 0, sweep: 0, replay: 0, relay: 0, completed: 0, 'ssl-error': 0, other: 0 };
  const outcomes = {};
  const perMutator = Object.fromEntries(MUTATOR_NAMES.map((m) => [m, 0]));
  let unhandled = 0;
  let uncaught = 0;
  const onUnhandled = () => unhandled++;
  const onUncaught = () => uncaught++;
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);
  // The handshake timeouts are unref'd timers on in-memory streams: keep the process alive meanwhile.
  const keepAlive = setInterval(() => {}, 1000);

  // The sweep: every first flight cut at every few offsets (all of the ClientHello, every 7th byte
  // of the server's first flight), fed to the endpoint that expects it.
  const sweep = [];
  for (const f of flights) {
    const ch = f.fromClient.subarray(0, Math.min(f.fromClient.length, 5 + f.fromClient.readUInt16BE(3)));
    for (let cut = 0; cut < ch.length; cut += 3) sweep.push({ mode: 'accept', bytes: ch.subarray(0, cut) });
    const first = f.fromServer.subarray(0, Math.min(f.fromServer.length, 4096));
    for (let cut = 0; cut < first.length; cut += 7) sweep.push({ mode: 'connect', bytes: first.subarray(0, cut) });
  }

  const one = (i) => {
    let kind;
    let run;
    let label;
    if (i < sweep.length) {
      const { mode, bytes } = sweep[i];
      kind = 'sweep';
      label = `truncate@${bytes.length}, ${mode}`;
      // A truncated flight with its stream ended, or left open (then the timeout ends it).
      const ctx = mode === 'accept' ? r.pick(serverCtxs) : r.pick(clientCtxs);
      run = () => {
        const input = new PassThrough();
        const output = new Writable({ write: (_c, _e, cb) => cb() });
        const settled = settle(o.portsToSslPorts(input, output, mode === 'accept' ? { mode, context: ctx, timeout: timeoutMs } : { mode, context: ctx, hostname: 'localhost', timeout: timeoutMs, reuseSession: false }));
        input.write(bytes);
        if (i % 4 !== 0) input.end();
        return settled;
      };
    } else {
      const m = r.pick(MUTATOR_NAMES);
      perMutator[m]++;
      const second = r.next() < 0.2 ? r.pick(MUTATOR_NAMES) : null; // sometimes stack two mutations
      const mutate = (rr, b) => {
        const once = MUTATORS[m](rr, b);
        return second ? MUTATORS[second](rr, once) : once;
      };
      if (r.next() < relayShare) {
        kind = 'relay';
        const opts = { serverCtx: r.pick(relayCtx.server), clientCtx: r.pick(relayCtx.client), timeoutMs };
        label = `${m}${second ? `+${second}` : ''}, relay`;
        run = () => relayCase(r, mutate, opts);
      } else {
        kind = 'replay';
        const f = r.pick(flights);
        const mode = r.next() < 0.5 ? 'accept' : 'connect';
        const bytes = mutate(r, mode === 'accept' ? f.fromClient : f.fromServer);
        const ctx = mode === 'accept' ? r.pick(serverCtxs) : r.pick(clientCtxs);
        label = `${m}${second ? `+${second}` : ''}, ${mode}, ${f.name}`;
        run = () => replayCase(r, bytes, mode, ctx, timeoutMs);
      }
    }
    counts[kind]++;
    let timer;
    const watchdog = new Promise((resolve) => {
      timer = setTimeout(() => resolve(`hang: ${label}`), timeoutMs * 10 + 3000);
    });
    return Promise.race([run(), watchdog]).then((outcome) => {
      clearTimeout(timer);
      return { outcome, label };
    });
  };

  try {
    for (let done = 0; done < cases; ) {
      const n = Math.min(batch, cases - done);
      const running = [];
      for (let i = 0; i < n; i++) running.push(one(done + i));
      for (const { outcome, label } of await Promise.all(running)) {
        counts.cases++;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (outcome === 'completed' || outcome === 'relay:completed') counts.completed++;
        else if (outcome.startsWith('ssl-error') || outcome === 'relay:ssl-error') counts['ssl-error']++;
        else {
          counts.other++;
          throw new Error(`fuzz case (${label}) ended badly: ${outcome}`);
        }
      }
      done += n;
    }
    // Let late events (alerts, closes) of the last batch happen while the hooks are still listening.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    clearInterval(keepAlive);
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  }
  return { ...counts, unhandled, uncaught, outcomes, perMutator, flights: flights.map((f) => `${f.name}: ${f.fromClient.length}+${f.fromServer.length} bytes`) };
}
