// User code that OpenSSL runs inside an SSL call (here a key logger, during a TLS 1.2 renegotiation
// that happens inside SSL_read) may read and write other connections: the nested calls must not share
// the engine's memory with the call in progress. Every byte still arrives intact.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, readExactly } from './support/helpers.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');

async function pair(listener, port, ctx) {
  const accepted = o.sslAccept(listener);
  const client = await o.sslConnect('localhost', port, ctx);
  return { client, server: await accepted };
}

test('a key logger that reads and writes another connection from inside SSL_read: data intact', async () => {
  const sctx = o.sslMakeServerContext('tls12', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  o.sslLoadVerifySource(sctx, cert('root-ca.pem'));
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', sctx);
  const port = o.sslListenerPort(listener);
  try {
    // A: the connection that renegotiates; its client's key logger does the nested work.
    const actx = o.sslMakeClientContext('tls12', { privateKey: ['pem', cert('client.key')], certificateChain: cert('client-chain.pem') });
    let armed = null;
    let nestedCalls = 0;
    o.sslSetKeylogger(actx, () => {
      if (!armed) return;
      nestedCalls++;
      armed();
    });
    const a = await pair(listener, port, actx);
    // B: an ordinary connection with data waiting on both sides.
    const b = await pair(listener, port, o.sslMakeClientContext('tls12'));
    const [bIn, bOut] = b.client;
    const [bServerIn, bServerOut] = b.server;
    const toClient = randomBytes(200_000);
    bServerOut.write(toClient);
    bIn.read(0); // B's client reads up to its high-water mark; more records wait in its read BIO
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(bIn.readableLength > 0 && bIn.readableLength < toClient.length);
    const buffered = bIn.readableLength;
    const readByB = [];
    const small = randomBytes(300); // a small write goes through the engine's stage buffer
    armed = () => {
      bOut.write(small);
      for (let c; (c = bIn.read()) !== null; ) readByB.push(c);
    };
    // The server asks for A's certificate: the client renegotiates inside SSL_read and logs keys there.
    const [aIn] = a.client;
    const [aServerIn, aServerOut] = a.server;
    const aRead = readExactly(aIn, 2);
    await o.sslSetVerify(aServerIn, true);
    armed = null;
    aServerOut.write('ok');
    assert.equal((await aRead).toString(), 'ok');
    assert.ok(nestedCalls > 0, 'the key logger ran during the renegotiation');
    const have = readByB.reduce((n, c) => n + c.length, 0);
    assert.ok(have > buffered, `B's client decrypted more inside the callback (${have} > ${buffered})`);
    assert.equal(o.sslPeerVerified(aServerIn), true);
    // B: what its client read inside the callback and afterwards is exactly what was sent, and so is
    // what it wrote inside the callback.
    const rest = await readExactly(bIn, toClient.length - have);
    assert.equal(sha(Buffer.concat([...readByB, rest])), sha(toClient));
    assert.equal(sha(await readExactly(bServerIn, small.length * nestedCalls)), sha(Buffer.concat(Array(nestedCalls).fill(small))));
    for (const p of [...a.client, ...a.server, ...b.client, ...b.server]) p.destroy();
  } finally {
    await o.sslClose(listener);
  }
});
