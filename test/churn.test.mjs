// Churn and load: many sequential and concurrent connections with data; RSS flat after warm-up, OpenSSL
// object counters back to zero, under forced garbage collection. CHURN_LONG=1 runs the long form.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert, readExactly, collectGarbage } from './support/helpers.mjs';

const long = process.env.CHURN_LONG === '1' || process.env.CONFORMANCE_LONG === '1';

async function server() {
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-ecdsa-chain.pem'), privateKey: ['pem', cert('server-ecdsa.key')] });
  const l = await o.sslListen(0, 511, true, '127.0.0.1', ctx);
  // An echo server for as long as the listener lives.
  (async () => {
    for await (const [input, output] of l) {
      input.on('data', (d) => output.write(d));
      input.on('end', () => output.destroy());
      input.on('error', () => output.destroy());
      output.on('error', () => {});
    }
  })();
  return { l, port: o.sslListenerPort(l) };
}

async function oneConnection(port, ctx, payload) {
  const [input, output] = await o.sslConnect('127.0.0.1', port, ctx);
  output.write(payload);
  const echoed = await readExactly(input, payload.length);
  input.destroy();
  output.destroy();
  return echoed.equals(payload);
}

const mib = (n) => (n / 1048576).toFixed(1);

test(`${long ? 50_000 : 10_000} sequential connections with data: RSS flat, objects freed`, async () => {
  const { l, port } = await server();
  const ctx = o.sslMakeClientContext('auto');
  const payload = Buffer.alloc(1024, 5);
  const total = long ? 50_000 : 10_000;
  // RSS settles after a few thousand connections (allocator arenas, JIT, caches): measure after that.
  const warm = long ? 10_000 : 4_000;
  await collectGarbage();
  const rssStart = process.memoryUsage().rss;
  const started = Date.now();
  for (let i = 0; i < warm; i++) assert.ok(await oneConnection(port, ctx, payload));
  await collectGarbage();
  const rssWarm = process.memoryUsage().rss;
  for (let i = warm; i < total; i++) {
    assert.ok(await oneConnection(port, ctx, payload));
    if (i % 1000 === 0) await collectGarbage();
  }
  await o.sslClose(l);
  await new Promise((r) => setTimeout(r, 100));
  await collectGarbage();
  const rssEnd = process.memoryUsage().rss;
  const counts = o.sslObjectCounts();
  console.log(
    `churn, sequential: ${total} connections with 1 KiB echoed in ${((Date.now() - started) / 1000).toFixed(1)} s; RSS at start ${mib(rssStart)} MiB, ` +
      `after ${warm} warm-up connections ${mib(rssWarm)} MiB, at the end ${mib(rssEnd)} MiB (${rssEnd >= rssWarm ? '+' : ''}${mib(rssEnd - rssWarm)} MiB); objects ${JSON.stringify(counts)}`,
  );
  assert.equal(counts.SSL, 0);
  assert.equal(counts.BIO, 0);
  assert.equal(counts.X509, 0);
  assert.ok(rssEnd - rssWarm < 24 * 1048576, `RSS grew by ${mib(rssEnd - rssWarm)} MiB after warm-up`);
});

test('500 concurrent connections with data, then everything freed', async () => {
  const { l, port } = await server();
  const ctx = o.sslMakeClientContext('auto');
  const rounds = long ? 5 : 1;
  await collectGarbage();
  const rssStart = process.memoryUsage().rss;
  for (let r = 0; r < rounds; r++) {
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => oneConnection(port, ctx, Buffer.alloc(4096, i & 255))));
    assert.equal(results.filter(Boolean).length, 500);
  }
  await o.sslClose(l);
  await new Promise((r) => setTimeout(r, 100));
  await collectGarbage();
  const counts = o.sslObjectCounts();
  console.log(`churn, concurrent: ${rounds} × 500 connections with 4 KiB echoed; RSS before ${mib(rssStart)} MiB, after ${mib(process.memoryUsage().rss)} MiB; objects ${JSON.stringify(counts)}`);
  assert.equal(counts.SSL, 0);
  assert.equal(counts.BIO, 0);
});
