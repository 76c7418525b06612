// OpenSSL's error queue is per thread: with both ends of a connection in one process, the peer's
// handshake runs (synchronously, inside our transport write) between a failing call and the read of
// the queue. Each failure must carry its own reason: read right after the failing call.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert, limitedPipePair, PassThrough } from './support/helpers.mjs';

const untrustedServer = () =>
  o.sslMakeServerContext('auto', { certificateChain: cert('bad-untrusted-chain.pem'), privateKey: ['pem', cert('bad-untrusted.key')] });
const goodServer = () => o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });

function verifyingClient(options) {
  const ctx = o.sslMakeClientContext('auto', options);
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  return ctx;
}

/** In-process transports: synchronous PassThroughs (the peer runs inside our write), or async pipes. */
const TRANSPORTS = {
  'PassThrough pair': () => {
    const ab = new PassThrough();
    const ba = new PassThrough();
    return { client: [ba, ab], server: [ab, ba] };
  },
  'asynchronous pipes': () => {
    const { a, b } = limitedPipePair(1 << 16);
    return { client: [a.input, a.output], server: [b.input, b.output] };
  },
};

async function failBoth(transport, serverContext, clientContext) {
  const t = TRANSPORTS[transport]();
  const results = await Promise.allSettled([
    o.portsToSslPorts(t.server[0], t.server[1], { mode: 'accept', context: serverContext }),
    o.portsToSslPorts(t.client[0], t.client[1], { mode: 'connect', context: clientContext, hostname: 'localhost' }),
  ]);
  for (const s of [...t.client, ...t.server]) s.destroy();
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  return { server: results[0].reason, client: results[1].reason };
}

for (const transport of Object.keys(TRANSPORTS)) {
  test(`${transport}: an untrusted server certificate is "certificate verify failed" on the client, the alert on the server`, async () => {
    for (let i = 0; i < 3; i++) {
      const { server, client } = await failBoth(transport, untrustedServer(), verifyingClient());
      assert.ok(o.isSslError(client), `${client}`);
      assert.match(client.message, /^portsToSslPorts: connect failed \(.*certificate verify failed/);
      assert.equal(client.code, 'CERTIFICATE_VERIFY_FAILED');
      assert.equal(client.status, 'ssl');
      // The server's error is its own: the client's alert, not the client's reason.
      assert.ok(o.isSslError(server), `${server}`);
      assert.match(server.message, /^portsToSslPorts: accept failed \(.*alert unknown ca/);
      assert.doesNotMatch(server.message, /certificate verify failed/);
      assert.equal(server.code, 'TLSV1_ALERT_UNKNOWN_CA');
    }
  });

  test(`${transport}: a client certificate the server cannot verify is the server's reason, the alert is the client's`, async () => {
    const server = goodServer();
    o.sslLoadVerifySource(server, cert('root-ca.pem'));
    o.sslSetVerify(server, true);
    const client = o.sslMakeClientContext('tls12', { certificateChain: cert('bad-untrusted-chain.pem'), privateKey: ['pem', cert('bad-untrusted.key')] });
    const r = await failBoth(transport, server, client);
    assert.match(r.server.message, /^portsToSslPorts: accept failed \(.*certificate verify failed/);
    assert.equal(r.server.code, 'CERTIFICATE_VERIFY_FAILED');
    assert.match(r.client.message, /^portsToSslPorts: connect failed \(.*alert unknown ca/);
    assert.doesNotMatch(r.client.message, /certificate verify failed/);
    assert.equal(r.client.code, 'TLSV1_ALERT_UNKNOWN_CA');
  });
}

test('a failed handshake leaves nothing in the error queue for the next connection of the thread', async () => {
  await failBoth('PassThrough pair', untrustedServer(), verifyingClient());
  // A good connection right after, in the same thread, succeeds and reports nothing stale.
  const ab = new PassThrough();
  const ba = new PassThrough();
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(ab, ba, { mode: 'accept', context: goodServer() }),
    o.portsToSslPorts(ba, ab, { mode: 'connect', context: verifyingClient(), hostname: 'localhost' }),
  ]);
  assert.equal(o.sslPeerVerified(cin), true);
  for (const p of [sin, sout, cin, cout]) p.destroy();
});
