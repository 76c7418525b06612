// A client context's session cache is bounded: at most 100 sessions (one per server name and address),
// least recently used evicted and freed first. On 2fea881 every distinct name kept its SSL_SESSION forever.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert, readExactly, collectGarbage } from './support/helpers.mjs';

const LIMIT = 100;

for (const protocol of ['tls13', 'tls12']) {
  test(`${protocol}: many distinct session keys through one context: the cache stays at its bound, LRU eviction`, async (t) => {
    const sctx = o.sslMakeServerContext(protocol, { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
    const listener = await o.sslListen(0, 5, false, '127.0.0.1', sctx);
    t.after(() => o.sslClose(listener));
    const port = o.sslListenerPort(listener);
    await collectGarbage();
    const base = o.sslObjectCounts().SSL_SESSION;
    const ctx = o.sslMakeClientContext('auto');
    const sessions = () => o.sslObjectCounts().SSL_SESSION - base;

    /** Connects as `name` (the session key is name@address), reads a byte so that TLS 1.3 tickets arrive; answers whether it resumed. */
    async function visit(name) {
      const accepted = o.sslAccept(listener);
      const [cin, cout] = await o.sslConnect('127.0.0.1', port, ctx, { host: name });
      const [sin, sout] = await accepted;
      sout.write('x');
      await readExactly(cin, 1);
      const reused = o.sslSessionReused(cin);
      for (const p of [cin, cout, sin, sout]) p.destroy();
      return reused;
    }

    for (let i = 0; i < LIMIT; i++) assert.equal(await visit(`n${i}.example`), false);
    assert.equal(sessions(), LIMIT);
    // n0 is used again (resumes) and becomes the most recently used; n1 is now the least recently used.
    assert.equal(await visit('n0.example'), true);
    for (let i = LIMIT; i < LIMIT + 20; i++) {
      assert.equal(await visit(`n${i}.example`), false);
      assert.equal(sessions(), LIMIT, 'the cache stays at its bound; evicted sessions are freed');
    }
    assert.equal(await visit('n0.example'), true, 'the recently used session survived the evictions');
    assert.equal(await visit(`n${LIMIT + 19}.example`), true, 'the newest session resumes');
    assert.equal(await visit('n1.example'), false, 'the least recently used sessions were evicted');
    assert.equal(sessions(), LIMIT);
  });
}

test('the cache frees its sessions with the context', async () => {
  const sctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', sctx);
  const port = o.sslListenerPort(listener);
  await collectGarbage();
  const base = o.sslObjectCounts().SSL_SESSION;
  await (async () => {
    const ctx = o.sslMakeClientContext('auto');
    for (let i = 0; i < 5; i++) {
      const accepted = o.sslAccept(listener);
      const [cin, cout] = await o.sslConnect('127.0.0.1', port, ctx, { host: `f${i}.example` });
      const [sin, sout] = await accepted;
      sout.write('x');
      await readExactly(cin, 1);
      for (const p of [cin, cout, sin, sout]) p.destroy();
    }
    assert.equal(o.sslObjectCounts().SSL_SESSION - base, 5);
  })();
  await o.sslClose(listener);
  await collectGarbage();
  assert.equal(o.sslObjectCounts().SSL_SESSION - base, 0);
});
