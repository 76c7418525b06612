// The end of a handshake on the wire and in the event loop (issue: full-handshake cost per connection).
// A server's last flight (TLS 1.3: its session tickets; TLS 1.2: its Finished) is held until the
// microtasks that hand the connection to the application have run, so that the application's first
// write joins it in one transport write; it still goes out when the application writes nothing. The
// transport is not paused on the read that completes the handshake (the application usually reads at
// once); bytes that arrive before the application reads are kept and delivered in order.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, readExactly, verifiedClientContext } from './support/helpers.mjs';

const serverCtx = (protocol = 'auto') =>
  o.sslMakeServerContext(protocol, { certificateChain: cert('server-ecdsa-chain.pem'), privateKey: ['pem', cert('server-ecdsa.key')] });

const clientCtx = () => verifiedClientContext(o);

/** Records every `write` made on sockets whose local port is `port` (the server's accepted sockets). */
function spyServerWrites(port) {
  const writes = [];
  const original = net.Socket.prototype.write;
  net.Socket.prototype.write = function spy(chunk, ...rest) {
    if (this.localPort === port) writes.push(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
    return original.call(this, chunk, ...rest);
  };
  return { writes, restore: () => (net.Socket.prototype.write = original) };
}

for (const protocol of ['tls12', 'tls13']) {
  test(`${protocol}: a server that never writes still sends its last flight: the client completes, sees the server's end and resumes next time`, async () => {
    const l = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx(protocol));
    const port = o.sslListenerPort(l);
    const ctx = clientCtx();
    for (const expectReused of [false, true]) {
      const accepted = o.sslAccept(l);
      const [cin, cout] = await o.sslConnect('127.0.0.1', port, ctx, { host: 'localhost' });
      const [sin, sout] = await accepted;
      assert.equal(o.sslSessionReused(cin), expectReused);
      // The server writes nothing and closes: the client sees the end (and takes the tickets before it).
      const ended = new Promise((resolve) => cin.once('end', resolve));
      cin.resume();
      sin.destroy();
      sout.destroy();
      await ended;
      cin.destroy();
      cout.destroy();
    }
    await o.sslClose(l);
  });
}

test("tls13: the server's first write right after sslAccept goes out with its session tickets, in one socket write", async () => {
  const l = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx('tls13'));
  const port = o.sslListenerPort(l);
  const spy = spyServerWrites(port);
  try {
    const accepted = o.sslAccept(l);
    const [cin, cout] = await o.sslConnect('127.0.0.1', port, clientCtx(), { host: 'localhost', reuseSession: false });
    const [sin, sout] = await accepted;
    sout.write('hello');
    assert.equal((await readExactly(cin, 5)).toString(), 'hello');
    // Two writes in all: ServerHello..Finished, then the tickets and the application's record together.
    assert.equal(spy.writes.length, 2, `server socket writes: ${spy.writes.join(', ')}`);
    for (const p of [cin, cout, sin, sout]) p.destroy();
  } finally {
    spy.restore();
  }
  await o.sslClose(l);
});

test('bytes that arrive right after the handshake, before the application reads, are delivered in order (client and server)', async () => {
  const l = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(l);
  const accepted = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port, clientCtx(), { host: 'localhost', reuseSession: false });
  const [sin, sout] = await accepted;
  const a = randomBytes(3 << 20);
  const b = randomBytes(3 << 20);
  // Both write at once; neither reads until both writes were handed over (back-pressure holds them).
  const written = Promise.all([
    new Promise((resolve) => sout.end(a, resolve)),
    new Promise((resolve) => cout.end(b, resolve)),
  ]);
  await new Promise((resolve) => setImmediate(resolve));
  const hash = (x) => createHash('sha256').update(x).digest('hex');
  const [gotA, gotB] = await Promise.all([readExactly(cin, a.length), readExactly(sin, b.length)]);
  await written;
  assert.equal(hash(gotA), hash(a));
  assert.equal(hash(gotB), hash(b));
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(l);
});
