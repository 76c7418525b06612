// isSslPort is exact: only ports the library made (over a real connection) are SSL ports; objects a
// user constructs or derives from the port classes are not, and every port query refuses them.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert } from './support/helpers.mjs';

test('isSslPort: true for ports the library made, false for anything a user builds', async (t) => {
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  t.after(() => o.sslClose(listener));
  const accepted = o.sslAccept(listener);
  const client = await o.sslConnect('127.0.0.1', o.sslListenerPort(listener));
  const server = await accepted;
  for (const p of [...client, ...server]) assert.equal(o.isSslPort(p), true);

  // The constructors are not a way to make ports (on 2fea881 `new SslInputPort({})` was an "SSL port").
  const fakeOwner = { onInputRead() {}, onOutputWrite() {}, onOutputWritev() {}, onOutputFinal() {}, onPortClosed() {} };
  assert.throws(() => new o.SslInputPort(fakeOwner), TypeError);
  assert.throws(() => new o.SslOutputPort(fakeOwner), TypeError);
  assert.throws(() => new o.SslInputPort(), TypeError);
  // Objects that merely inherit from the port classes are not ports either.
  const lookalikes = [Object.create(o.SslInputPort.prototype), Object.create(o.SslOutputPort.prototype), Object.create(client[0])];
  for (const v of lookalikes) {
    assert.equal(o.isSslPort(v), false);
    assert.throws(() => o.sslProtocolVersion(v), TypeError);
    assert.throws(() => o.sslPeerVerified(v), TypeError);
  }
  for (const v of [null, undefined, 42, 'port', {}, [], new (await import('node:stream')).PassThrough()]) assert.equal(o.isSslPort(v), false);
  // A real port still answers.
  assert.equal(typeof o.sslProtocolVersion(client[0]), 'string');
  for (const p of [...client, ...server]) p.destroy();
});
