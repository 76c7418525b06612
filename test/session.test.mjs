// Session resumption kept by client contexts, and Web Streams over SSL ports.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert, readExactly, collectGarbage } from './support/helpers.mjs';

async function server(protocol) {
  const ctx = o.sslMakeServerContext(protocol, { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  return { listener, port: o.sslListenerPort(listener) };
}

/** One exchange: the server writes a byte, the client reads it (so TLS 1.3 tickets arrive), both close. */
async function exchange(listener, port, ctx, options) {
  const accepted = o.sslAccept(listener);
  const [cin, cout] = await o.sslConnect('localhost', port, ctx, options);
  const [sin, sout] = await accepted;
  sout.write('x');
  await readExactly(cin, 1);
  const reused = [o.sslSessionReused(cin), o.sslSessionReused(sout)];
  for (const p of [cin, cout, sin, sout]) p.destroy();
  return reused;
}

for (const protocol of ['tls12', 'tls13']) {
  test(`${protocol}: a client context resumes its session on the next sslConnect`, async () => {
    const { listener, port } = await server(protocol);
    const ctx = o.sslMakeClientContext('auto');
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslSetVerify(ctx, true);
    o.sslSetVerifyHostname(ctx, true);
    assert.deepEqual(await exchange(listener, port, ctx), [false, false]);
    assert.deepEqual(await exchange(listener, port, ctx), [true, true]);
    assert.deepEqual(await exchange(listener, port, ctx), [true, true]);
    // reuseSession: false asks for a full handshake; another context has no session to offer.
    assert.deepEqual(await exchange(listener, port, ctx, { reuseSession: false }), [false, false]);
    assert.deepEqual(await exchange(listener, port, o.sslMakeClientContext('auto')), [false, false]);
    // A resumed connection is still verified.
    const accepted = o.sslAccept(listener);
    const [cin, cout] = await o.sslConnect('localhost', port, ctx);
    assert.equal(o.sslSessionReused(cin), true);
    assert.equal(o.sslPeerVerified(cin), true);
    for (const p of [cin, cout, ...(await accepted)]) p.destroy();
    await o.sslClose(listener);
  });
}

test('cached sessions are freed with their context', async () => {
  const { listener, port } = await server('auto');
  await (async () => {
    const ctx = o.sslMakeClientContext('auto');
    await exchange(listener, port, ctx);
    await exchange(listener, port, ctx);
  })();
  await o.sslClose(listener);
  await collectGarbage();
  assert.equal(o.sslObjectCounts().SSL_SESSION, 0);
});

test('SSL ports as Web Streams', async () => {
  const { listener, port } = await server('auto');
  const accepted = o.sslAccept(listener);
  const client = o.sslPortsToWebStreams(await o.sslConnect('127.0.0.1', port));
  const [sin, sout] = await accepted;
  const writer = client.writable.getWriter();
  await writer.write(new TextEncoder().encode('web'));
  assert.equal((await readExactly(sin, 3)).toString(), 'web');
  sout.end('streams');
  sin.destroy();
  const reader = client.readable.getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  assert.equal(text, 'streams');
  await writer.close();
  assert.throws(() => o.sslPortsToWebStreams(['a', 'b']), TypeError);
  await o.sslClose(listener);
});
