// What an idle connection gives back (the RSS figure): after a TLS 1.3 client has read only the
// server's session tickets (no application data), OpenSSL's buffers are freed and the read BIO, which
// grew to hold the tickets after the handshake's BIOs were replaced, is replaced by an empty one. Such a
// connection must go on exactly as before: data both ways (small records, bulk that is read in place,
// over a socket and over a stream pair), peer queries, the session from those tickets resumes, and
// every OpenSSL object is freed at the end (forced collections).
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { assertSslObjectsFreed, collectGarbage, ecdsaServerContext, hashExactly, limitedPipePair, readExactly, sha256, until, writeRandom } from './support/helpers.mjs';

const serverCtx = () => ecdsaServerContext(o, 'tls13');

/** Small messages both ways, then bulk both ways at once, then small messages again, with forced collections between. */
async function exercise(cin, cout, sin, sout) {
  for (let i = 0; i < 5; i++) {
    const a = randomBytes(1 + i * 37);
    cout.write(a);
    assert.deepEqual(await readExactly(sin, a.length), a, 'client → server, small');
    const b = randomBytes(200 + i);
    sout.write(b);
    assert.deepEqual(await readExactly(cin, b.length), b, 'server → client, small');
    await collectGarbage();
  }
  const total = 3 << 20;
  const [s1, g1, s2, g2] = await Promise.all([writeRandom(sout, total, 65536), hashExactly(cin, total), writeRandom(cout, total, 40000), hashExactly(sin, total)]);
  assert.equal(g1, s1, 'server → client, bulk');
  assert.equal(g2, s2, 'client → server, bulk');
  await collectGarbage();
  const c = Buffer.from('after bulk');
  sout.write(c);
  assert.equal(sha256(await readExactly(cin, c.length)), sha256(c));
  cout.write(c);
  assert.equal(sha256(await readExactly(sin, c.length)), sha256(c));
}

test('a TLS 1.3 client idle after reading only the session tickets still carries data both ways, resumes, and frees everything (sockets)', async () => {
  await collectGarbage();
  const base = o.sslObjectCounts();
  const sctx = serverCtx();
  const l = await o.sslListen(0, 5, true, '127.0.0.1', sctx);
  const port = o.sslListenerPort(l);
  const ctx = o.sslMakeClientContext('auto');
  const sessions = () => o.sslObjectCounts().SSL_SESSION - base.SSL_SESSION;

  const acc = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port, ctx, { host: 'localhost' });
  const [sin, sout] = await acc;
  assert.equal(o.sslProtocolVersion(cin), 'tls13');
  // The client reads (nothing but the tickets arrive): the tickets reach the session cache, then the connection is idle.
  cin.read(0);
  await until(() => sessions() >= 1, 'the session tickets to be read');
  await collectGarbage();
  assert.match(String(o.sslPeerSubjectName(cin)), /CN=/, 'peer queries answer on the idle connection');
  assert.ok(o.sslPeerCertificate(cin), 'the peer certificate is still there');
  assert.equal(o.sslSessionReused(cin), false);

  await exercise(cin, cout, sin, sout);

  // The session from those tickets resumes.
  const acc2 = o.sslAccept(l);
  const [cin2, cout2] = await o.sslConnect('127.0.0.1', port, ctx, { host: 'localhost' });
  const [sin2, sout2] = await acc2;
  assert.equal(o.sslSessionReused(cin2), true, 'the session from the tickets resumes');
  sout2.write('z');
  assert.equal((await readExactly(cin2, 1)).toString(), 'z');

  for (const p of [cin, cout, sin, sout, cin2, cout2, sin2, sout2]) p.destroy();
  await o.sslClose(l);
  await assertSslObjectsFreed(o, base);
});

test('the same over a stream pair (portsToSslPorts): idle after the tickets, then data both ways', async () => {
  await collectGarbage();
  const base = o.sslObjectCounts();
  const { a, b } = limitedPipePair(1000);
  const server = o.portsToSslPorts(b.input, b.output, { mode: 'accept', context: serverCtx(), closeOriginal: true });
  const client = o.portsToSslPorts(a.input, a.output, { mode: 'connect', hostname: 'localhost', closeOriginal: true });
  const [[cin, cout], [sin, sout]] = await Promise.all([client, server]);
  assert.equal(o.sslProtocolVersion(cin), 'tls13');
  cin.read(0);
  await until(() => o.sslObjectCounts().SSL_SESSION > base.SSL_SESSION, 'the session tickets to be read');
  await collectGarbage();
  const c = Buffer.from('hello after idle');
  cout.write(c);
  assert.deepEqual(await readExactly(sin, c.length), c);
  sout.write(c);
  assert.deepEqual(await readExactly(cin, c.length), c);
  const total = 256 << 10;
  const [s1, g1, s2, g2] = await Promise.all([writeRandom(sout, total), hashExactly(cin, total), writeRandom(cout, total), hashExactly(sin, total)]);
  assert.equal(g1, s1);
  assert.equal(g2, s2);
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await assertSslObjectsFreed(o, base);
});
