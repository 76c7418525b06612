// The data path's external memory (issue 15): socket reads that OpenSSL reads in place through a
// read-only memory BIO over the shared read buffer, and records sent one per transport write. Transfers
// stay byte-exact (hashes) whatever the write sizes and however the reader pauses (bytes OpenSSL has
// not taken yet are copied out before the buffer is reused), and connections destroyed in the middle
// of reads and writes free every OpenSSL object without crashing (child process, forced collections).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, collectGarbage, ecdsaServerContext, hashExactly } from './support/helpers.mjs';

const serverCtx = () => ecdsaServerContext(o);

async function pair() {
  const l = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx());
  const acc = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', o.sslListenerPort(l), 'auto');
  const [sin, sout] = await acc;
  return { l, cin, cout, sin, sout };
}

/** Writes `total` random bytes in writes of varying size (1 byte to 40 KB); resolves their SHA-256. */
async function writeVaried(output, total) {
  const h = createHash('sha256');
  const block = randomBytes(1 << 20);
  let sent = 0;
  let i = 0;
  while (sent < total) {
    const n = Math.min(total - sent, [1, 100, 4095, 4096, 16384, 16385, 40000, 70000][i++ % 8]);
    const off = sent % (block.length - n);
    const piece = block.subarray(off, off + n);
    h.update(piece);
    sent += n;
    if (!output.write(piece)) await new Promise((r) => output.once('drain', r));
  }
  return h.digest('hex');
}

/** Hashes `n` bytes, pausing the stream for a while every `every` bytes (OpenSSL then leaves bytes unread). */
function hashPausing(readable, n, every) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let have = 0;
    let next = every;
    readable.on('data', (c) => {
      h.update(c);
      have += c.length;
      if (have === n) resolve(h.digest('hex'));
      else if (have > n) reject(new Error(`got ${have} bytes, expected ${n}`));
      else if (have >= next) {
        next += every;
        readable.pause();
        setTimeout(() => readable.resume(), 20);
      }
    });
    readable.once('error', reject);
  });
}

test('bulk in both directions stays byte-exact with in-place reads (varied writes, a reader that pauses)', async () => {
  const p = await pair();
  const total = 6 << 20;
  const [sent1, got1, sent2, got2] = await Promise.all([
    writeVaried(p.sout, total),
    hashPausing(p.cin, total, 700_000),
    writeVaried(p.cout, total),
    hashExactly(p.sin, total),
  ]);
  assert.equal(got1, sent1, 'server → client');
  assert.equal(got2, sent2, 'client → server');
  for (const x of [p.cin, p.cout, p.sin, p.sout]) x.destroy();
  await o.sslClose(p.l);
});

const child = `
import * as o from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
const cert = (n) => ${JSON.stringify(fileURLToPath(new URL('../certs/', import.meta.url)))} + n;
const gc = async () => { for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); } };
const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-ecdsa-chain.pem'), privateKey: ['pem', cert('server-ecdsa.key')] });
const l = await o.sslListen(0, 64, true, '127.0.0.1', ctx);
const port = o.sslListenerPort(l);
const base = o.sslObjectCounts();
const block = Buffer.alloc(65536, 3);
const quiet = (...ps) => { for (const x of ps) x.on('error', () => {}); };
for (let i = 0; i < 60; i++) {
  const acc = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port, 'auto', { reuseSession: false });
  const [sin, sout] = await acc;
  quiet(cin, cout, sin, sout);
  if (i % 3 === 0) {
    // The client destroys its ports from inside a 'data' handler: inside the in-place read of a big socket read.
    for (let k = 0; k < 16; k++) sout.write(block);
    await new Promise((r) => cin.once('data', () => { cin.destroy(); cout.destroy(); r(); }));
    sin.destroy(); sout.destroy();
  } else if (i % 3 === 1) {
    // The server destroys its output in the middle of writes that the transport has not taken yet.
    cin.pause();
    for (let k = 0; k < 64; k++) sout.write(block);
    await new Promise((r) => setTimeout(r, 5));
    sout.destroy(); sin.destroy();
    cin.resume();
    await new Promise((r) => setTimeout(r, 5));
    cin.destroy(); cout.destroy();
  } else {
    // The client writes big chunks and the server destroys everything from its first 'data'.
    sin.once('data', () => { sin.destroy(); sout.destroy(); });
    for (let k = 0; k < 16; k++) cout.write(block);
    await new Promise((r) => setTimeout(r, 5));
    cin.destroy(); cout.destroy();
  }
  if (i % 10 === 0) await gc();
}
await new Promise((r) => setTimeout(r, 100));
await gc();
await o.sslClose(l);
const now = o.sslObjectCounts();
if (now.SSL !== base.SSL || now.BIO !== base.BIO) { console.error('leak', JSON.stringify({ base, now })); process.exit(3); }
console.log('ok', JSON.stringify(now));
`;

test('connections destroyed in mid-read and mid-write free every SSL and BIO and do not crash (child process, forced gc)', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', child], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.signal, null, `child killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ok /m);
});

test('object counts are back where they were after bulk transfers in this process (forced gc)', async () => {
  await collectGarbage();
  const before = o.sslObjectCounts();
  for (let i = 0; i < 3; i++) {
    const p = await pair();
    const total = 2 << 20;
    const [a, b] = await Promise.all([writeVaried(p.sout, total), hashExactly(p.cin, total)]);
    assert.equal(b, a);
    for (const x of [p.cin, p.cout, p.sin, p.sout]) x.destroy();
    await o.sslClose(p.l);
  }
  await new Promise((r) => setTimeout(r, 50));
  await collectGarbage();
  const after = o.sslObjectCounts();
  assert.equal(after.SSL, before.SSL);
  assert.equal(after.BIO, before.BIO);
});

test("key logging follows the logger: after an SNI switch to a context without one the original's logger still logs; null stops it", async () => {
  const a = serverCtx();
  const b = o.sslMakeServerContext('auto', { certificateChain: cert('sni-example-chain.pem'), privateKey: ['pem', cert('sni-example.key')] });
  const lines = [];
  o.sslSetKeylogger(a, (l) => lines.push(l.toString()));
  o.sslSetServerNameIdentificationCallback(a, (name) => (name.endsWith('example.test') ? b : null));
  const l = await o.sslListen(0, 5, true, '127.0.0.1', a);
  const port = o.sslListenerPort(l);
  const once = async (host) => {
    const acc = o.sslAccept(l);
    const [cin, cout] = await o.sslConnect('127.0.0.1', port, 'auto', { host, reuseSession: false });
    const [sin, sout] = await acc;
    sout.write('x');
    await new Promise((r) => cin.once('data', r));
    const subject = o.sslPeerSubjectName(cin);
    for (const x of [cin, cout, sin, sout]) x.destroy();
    return subject;
  };
  // Switched to b (no logger of its own): the lines still go to a's logger.
  assert.match(String(await once('www.example.test')), /example\.test/);
  const switched = lines.length;
  assert.ok(switched >= 5, `lines after the switched handshake: ${switched}`);
  assert.ok(lines.every((x) => /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/.test(x)));
  // Not switched: a's own callback.
  await once('localhost');
  assert.ok(lines.length >= switched + 5);
  // Stopped: no callback, no lines, on either context.
  o.sslSetKeylogger(a, null);
  const stopped = lines.length;
  await once('localhost');
  await once('www.example.test');
  assert.equal(lines.length - stopped, 0);
  await o.sslClose(l);
});

/**
 * A TCP relay that re-cuts the byte stream in each direction into pieces of awkward sizes (1 byte to
 * a few records, one write per turn of the event loop), so that socket reads end inside records, carry
 * several records, or a header only.
 */
async function rechunkingRelay(targetPort) {
  const net = await import('node:net');
  const sizes = [1, 3, 5, 6, 90, 87, 200, 4, 1000, 2, 7, 300];
  const pump = (from, to) => {
    let q = Buffer.alloc(0);
    let i = 0;
    let busy = false;
    let ended = false;
    const step = () => {
      if (q.length === 0) {
        busy = false;
        if (ended) to.end();
        return;
      }
      const n = Math.min(q.length, sizes[i++ % sizes.length]);
      to.write(q.subarray(0, n));
      q = q.subarray(n);
      setImmediate(step);
    };
    from.on('data', (d) => {
      q = Buffer.concat([q, d]);
      if (!busy) {
        busy = true;
        setImmediate(step);
      }
    });
    from.on('end', () => {
      ended = true;
      if (!busy) to.end();
    });
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((a) => {
    const b = net.connect(targetPort, '127.0.0.1');
    pump(a, b);
    pump(b, a);
    a.on('close', () => b.destroy());
    b.on('close', () => a.destroy());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** Reads exactly `n` bytes from a flowing-capable readable into the hash `h`. */
function readInto(readable, n, h) {
  return new Promise((resolve, reject) => {
    let have = 0;
    const onData = (c) => {
      h.update(c);
      have += c.length;
      if (have >= n) {
        readable.off('data', onData);
        readable.off('error', reject);
        readable.pause();
        if (have > n) reject(new Error(`got ${have} bytes, expected ${n}`));
        else resolve();
      }
    };
    readable.on('data', onData);
    readable.resume();
    readable.once('error', reject);
  });
}

for (const protocol of ['tls12', 'tls13']) {
  test(`small records echoed through a relay that cuts socket reads anywhere (inside records, several at once) arrive whole (${protocol})`, { timeout: 60_000 }, async () => {
    const l = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx());
    const relay = await rechunkingRelay(o.sslListenerPort(l));
    const acc = o.sslAccept(l);
    const [cin, cout] = await o.sslConnect('127.0.0.1', relay.address().port, o.sslMakeClientContext(protocol));
    const [sin, sout] = await acc;
    sin.on('data', (d) => sout.write(d)); // echo
    // Round trips of one small record each, then bursts of many small records written in one go.
    const sent = createHash('sha256');
    const got = createHash('sha256');
    const groups = [];
    for (let i = 0; i < 40; i++) groups.push([randomBytes(1 + ((i * 37) % 200))]);
    for (let i = 0; i < 10; i++) groups.push(Array.from({ length: 1 + i * 3 }, (_, k) => randomBytes(1 + ((i + k) % 64))));
    for (const group of groups) {
      let want = 0;
      for (const m of group) {
        sent.update(m);
        want += m.length;
        cout.write(m);
      }
      await readInto(cin, want, got);
    }
    assert.equal(got.digest('hex'), sent.digest('hex'));
    for (const x of [cin, cout, sin, sout]) x.destroy();
    relay.close();
    await o.sslClose(l);
  });
}
