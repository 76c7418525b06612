// OpenSSL's record buffers are kept while a connection is busy and freed by a sweep once it has been
// idle for a period (src/engine/idle-buffers.ts; on an OpenSSL whose SSL_free_buffers cannot be trusted
// with a partly received record, contexts keep SSL_MODE_RELEASE_BUFFERS and nothing is swept). Checked:
// busy connections are held and idle ones let go, a connection carries data exactly as before after
// its buffers were freed (small records and bulk, sockets and a stream pair), a connection destroyed
// while held leaves the sweep without a crash, and every SSL and BIO is freed (forced collections).
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { connectionsHoldingBuffers } from '../dist/engine/idle-buffers.js';
import { loadedFreeBuffersRefusesPartialRecords as keepBuffersWhileActive } from '../dist/ffi/known-bugs.js';
import { assertSslObjectsFreed, collectGarbage, ecdsaServerContext, hashExactly, limitedPipePair, readExactly, tick, until, writeRandom } from './support/helpers.mjs';

const serverCtx = () => ecdsaServerContext(o);

async function socketPair() {
  const l = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx());
  const acc = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', o.sslListenerPort(l), 'auto');
  const [sin, sout] = await acc;
  return { l, ports: [cin, cout, sin, sout] };
}

async function streamPair() {
  const { a, b } = limitedPipePair(4000);
  const server = o.portsToSslPorts(b.input, b.output, { mode: 'accept', context: serverCtx(), closeOriginal: true });
  const client = o.portsToSslPorts(a.input, a.output, { mode: 'connect', hostname: 'localhost', closeOriginal: true });
  const [[cin, cout], [sin, sout]] = await Promise.all([client, server]);
  return { l: null, ports: [cin, cout, sin, sout] };
}

const idle = () => until(() => connectionsHoldingBuffers() === 0, 'idle connections to give their buffers back', 5000);

/** Round trips of small records: the connections hold their buffers while busy, and give them back once idle. */
async function smallThenIdle([cin, cout, sin, sout]) {
  for (let i = 0; i < 50; i++) {
    const m = randomBytes(1 + (i % 64));
    cout.write(m);
    const got = await readExactly(sin, m.length);
    sout.write(got);
    assert.deepEqual(await readExactly(cin, m.length), m);
  }
  assert.equal(connectionsHoldingBuffers() >= 1, keepBuffersWhileActive, 'the end that just read holds its buffers (where the sweep is used)');
  await idle();
}

for (const [kind, make] of [['sockets', socketPair], ['a stream pair', streamPair]]) {
  test(`over ${kind}: buffers held while busy, given back when idle, and data flows the same after`, async () => {
    await collectGarbage();
    await idle();
    const base = o.sslObjectCounts();
    const { l, ports } = await make();
    const [cin, cout, sin, sout] = ports;
    for (let round = 0; round < 3; round++) {
      await smallThenIdle(ports);
      await collectGarbage();
      // Bulk both ways at once after the buffers were freed, then idle again.
      const total = 1 << 20;
      const [s1, g1, s2, g2] = await Promise.all([writeRandom(sout, total, 40000), hashExactly(cin, total), writeRandom(cout, total, 16384), hashExactly(sin, total)]);
      assert.equal(g1, s1, 'server → client bulk');
      assert.equal(g2, s2, 'client → server bulk');
      await idle();
    }
    for (const p of ports) p.destroy();
    if (l) await o.sslClose(l);
    await assertSslObjectsFreed(o, base);
  });
}

test('connections destroyed while they hold buffers leave the sweep without harm', async () => {
  await collectGarbage();
  await idle();
  const base = o.sslObjectCounts();
  for (let i = 0; i < 5; i++) {
    const { l, ports } = await socketPair();
    const [cin, cout, sin, sout] = ports;
    cout.write('x'.repeat(100));
    await readExactly(sin, 100);
    sout.write(Buffer.alloc(30000, 1));
    await readExactly(cin, 30000);
    assert.equal(connectionsHoldingBuffers() >= 1, keepBuffersWhileActive);
    // Destroyed within the sweep period, buffers still held (one side first, then the other).
    if (i % 2 === 0) for (const p of ports) p.destroy();
    else {
      cin.destroy();
      cout.destroy();
      await tick(5);
      sin.destroy();
      sout.destroy();
    }
    await o.sslClose(l);
  }
  await idle();
  await assertSslObjectsFreed(o, base);
});
