// Names with NUL characters are refused everywhere (C would cut them at the NUL: on 2fea881
// 'example.test\0' verified as example.test and 'localhost\0.evil' connected to localhost), and an SNI
// name with a trailing dot is sent without it (RFC 6066), read back by a real server's SNI callback.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, createServer } from 'node:net';
import { once } from 'node:events';
import * as o from '../dist/index.js';
import { cert, readExactly } from './support/helpers.mjs';

const serverCtx = () => o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
function verifyingClient() {
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  return ctx;
}
const NUL = /must not contain a NUL character/;

test('a NUL in any name is a RangeError: connect, host, SNI, upgrade, listen, hostname checks', async (t) => {
  const l = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx());
  t.after(() => o.sslClose(l));
  const port = o.sslListenerPort(l);
  await assert.rejects(o.sslConnect('localhost\0.evil', port), (e) => e instanceof RangeError && /^sslConnect: hostname/.test(e.message) && NUL.test(e.message));
  await assert.rejects(o.sslConnect(`localhost\0.evil:${port}`), RangeError);
  await assert.rejects(o.sslConnect('127.0.0.1', port, verifyingClient(), { host: 'localhost\0' }), (e) => e instanceof RangeError && /^sslConnect: host /.test(e.message));
  await assert.rejects(o.sslConnect('127.0.0.1', port, 'secure', { host: 'example.test\0' }), RangeError);
  const plain = createServer((c) => c.on('error', () => {}));
  plain.listen(0, '127.0.0.1');
  await once(plain, 'listening');
  t.after(() => plain.close());
  const s = netConnect(plain.address().port, '127.0.0.1');
  await once(s, 'connect');
  t.after(() => s.destroy());
  await assert.rejects(o.portsToSslPorts(s, s, { mode: 'connect', hostname: 'localhost\0x' }), (e) => e instanceof RangeError && /^portsToSslPorts: hostname/.test(e.message));
  await assert.rejects(o.sslClientUpgrade(s, { host: 'localhost\0' }), (e) => e instanceof RangeError && /^sslClientUpgrade: host/.test(e.message));
  await assert.rejects(o.sslListen(0, 5, false, '127.0.0.1\0'), (e) => e instanceof RangeError && /^sslListen: hostname/.test(e.message));
  await assert.rejects(o.sslListen(0, 5, '127.0.0.1\0'), RangeError); // the Chicken egg's order

  // sslPeerCheckHostname on a live connection to a certificate for localhost.
  const accepted = o.sslAccept(l);
  const client = await o.sslConnect('localhost', port, verifyingClient());
  const server = await accepted;
  t.after(() => [...client, ...server].forEach((p) => p.destroy()));
  assert.equal(o.sslPeerCheckHostname(client[0], 'localhost'), true);
  assert.throws(() => o.sslPeerCheckHostname(client[0], 'localhost\0'), (e) => e instanceof RangeError && /^sslPeerCheckHostname: hostname/.test(e.message));
  assert.throws(() => o.sslPeerCheckHostname(client[0], 'localhost\0.evil.example'), RangeError);
  assert.equal(o.sslPeerCheckHostname(client[0], 'localhost.evil.example'), false);
});

test('an SNI name with a trailing dot is sent without it (RFC 6066), and verifies as the same name', async (t) => {
  const ctx = serverCtx();
  const seen = [];
  o.sslSetServerNameIdentificationCallback(ctx, (name) => {
    seen.push(name);
    return null;
  });
  const l = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  t.after(() => o.sslClose(l));
  const port = o.sslListenerPort(l);
  for (const [how, connect] of [
    ['sslConnect host', () => o.sslConnect('127.0.0.1', port, verifyingClient(), { host: 'localhost.' })],
    ['sslClientUpgrade', async () => {
      const s = netConnect(port, '127.0.0.1');
      await once(s, 'connect');
      return o.sslClientUpgrade(s, { context: verifyingClient(), host: 'localhost.' });
    }],
    ['portsToSslPorts', async () => {
      const s = netConnect(port, '127.0.0.1');
      await once(s, 'connect');
      return o.portsToSslPorts(s, s, { mode: 'connect', context: verifyingClient(), hostname: 'localhost.', closeOriginal: true });
    }],
  ]) {
    seen.length = 0;
    const accepted = o.sslAccept(l);
    const client = await connect();
    const server = await accepted;
    assert.deepEqual(seen, ['localhost'], how);
    assert.equal(o.sslPeerVerified(client[0]), true, how);
    client[1].write('x');
    assert.equal((await readExactly(server[0], 1)).toString(), 'x');
    for (const p of [...client, ...server]) p.destroy();
  }
});
