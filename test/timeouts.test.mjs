// One rule for every time limit: 0, Infinity and anything at or beyond setTimeout's range (2**31 - 1 ms)
// mean no limit; negative values are RangeErrors. On 2fea881 Infinity, 2**31 and 1e12 were accepted and
// then fired after 1 ms (TimeoutOverflowWarning): the handshakes below, whose peer waits 100 ms, failed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, createServer } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import * as o from '../dist/index.js';
import { cert, readExactly } from './support/helpers.mjs';

const serverCtx = () => o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
const BIG = [Infinity, 2 ** 31, 1e12, 2 ** 31 - 1];
const DELAY = 100;

/** A TLS client over a TCP connection that waits DELAY ms before it sends its ClientHello. */
async function lateClient(port, options = {}) {
  const s = netConnect(port, '127.0.0.1');
  await once(s, 'connect');
  await sleep(DELAY);
  return o.portsToSslPorts(s, s, { mode: 'connect', closeOriginal: true, ...options });
}

async function exchange(client, server) {
  client[1].write('ping');
  assert.equal((await readExactly(server[0], 4)).toString(), 'ping');
  for (const p of [...client, ...server]) p.destroy();
}

test('timeouts of 2**31 - 1 ms and beyond (and Infinity) mean no limit, for every timeout option', async (t) => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const l = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx());
  t.after(() => o.sslClose(l));
  const port = o.sslListenerPort(l);
  const plain = createServer();
  plain.listen(0, '127.0.0.1');
  await once(plain, 'listening');
  t.after(() => plain.close());

  for (const v of BIG) {
    // sslConnect's timeout: the server accepts DELAY ms later.
    {
      const c = o.sslConnect('127.0.0.1', port, 'auto', { timeout: v });
      await sleep(DELAY);
      const server = await o.sslAccept(l);
      await exchange(await c, server);
    }
    // sslAccept's timeout: the client sends its hello DELAY ms after connecting.
    {
      const a = o.sslAccept(l, { timeout: v });
      const client = await lateClient(port);
      await exchange(client, await a);
    }
    // The listener's handshakeTimeout (read back as 0: no limit).
    {
      l.handshakeTimeout = v;
      assert.equal(l.handshakeTimeout, 0);
      const a = o.sslAccept(l);
      const client = await lateClient(port);
      await exchange(client, await a);
      l.handshakeTimeout = 30_000;
    }
    // portsToSslPorts' timeout: the server accepts DELAY ms later.
    {
      const s = netConnect(port, '127.0.0.1');
      await once(s, 'connect');
      const c = o.portsToSslPorts(s, s, { mode: 'connect', timeout: v, closeOriginal: true });
      await sleep(DELAY);
      const server = await o.sslAccept(l);
      await exchange(await c, server);
    }
    // sslClientUpgrade's timeout.
    {
      const s = netConnect(port, '127.0.0.1');
      await once(s, 'connect');
      const c = o.sslClientUpgrade(s, { context: o.insecureClientSslContext(), host: 'localhost', timeout: v });
      await sleep(DELAY);
      const server = await o.sslAccept(l);
      await exchange(await c, server);
    }
    // sslServerUpgrade's timeout: the client sends its hello DELAY ms after connecting.
    {
      const accepted = once(plain, 'connection');
      const client = lateClient(plain.address().port);
      const [socket] = await accepted;
      const server = await o.sslServerUpgrade(socket, serverCtx(), { timeout: v });
      await exchange(await client, server);
    }
  }
  assert.deepEqual(warnings.filter((w) => w.name === 'TimeoutOverflowWarning'), []);
});

test('negative timeouts are RangeErrors and non-numbers TypeErrors, for every timeout option', async (t) => {
  const l = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx());
  t.after(() => o.sslClose(l));
  const port = o.sslListenerPort(l);
  const s = netConnect(port, '127.0.0.1');
  await once(s, 'connect');
  t.after(() => s.destroy());
  for (const [bad, type] of [[-1, RangeError], [-Infinity, RangeError], [NaN, TypeError], ['10', TypeError]]) {
    await assert.rejects(o.sslConnect('127.0.0.1', port, 'auto', { timeout: bad }), type);
    await assert.rejects(o.sslAccept(l, { timeout: bad }), type);
    await assert.rejects(o.portsToSslPorts(s, s, { mode: 'connect', timeout: bad }), type);
    await assert.rejects(o.sslClientUpgrade(s, { timeout: bad }), type);
    await assert.rejects(o.sslServerUpgrade(s, serverCtx(), { timeout: bad }), type);
    assert.throws(() => {
      l.handshakeTimeout = bad;
    }, type);
  }
  await assert.rejects(o.sslAccept(l, { timeout: -5 }), /^RangeError: sslAccept: timeout must be >= 0/);
  assert.throws(() => {
    l.handshakeTimeout = -1;
  }, /SslListener\.handshakeTimeout: handshakeTimeout must be >= 0/);
  assert.equal(l.handshakeTimeout, 30_000);
});
