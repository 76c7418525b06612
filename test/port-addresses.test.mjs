// sslAddresses / sslPortFileno (the Chicken egg's tcp-addresses and port fileno): they work whenever the
// transport is a TCP socket (portsToSslPorts over a net.Socket too), and raise ERR_SSL_CLOSED on a closed
// connection instead of answering ['', 0, '', 0].
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import * as o from '../dist/index.js';
import { cert, PassThrough } from './support/helpers.mjs';

const serverContext = () => o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
const fdOf = (socket) => socket._handle.fd;

/** A TCP socket pair on loopback: `[client socket, accepted socket, close]`. */
async function socketPair() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = connect(server.address().port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  return [client, peer, () => new Promise((r) => server.close(r))];
}

test('portsToSslPorts over a net.Socket: sslAddresses and sslPortFileno are the socket\'s, on both ends', async () => {
  const [cs, ss, close] = await socketPair();
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(ss, ss, { mode: 'accept', context: serverContext() }),
    o.portsToSslPorts(cs, cs, { mode: 'connect' }),
  ]);
  for (const p of [cin, cout]) {
    assert.deepEqual(o.sslAddresses(p, true), ['127.0.0.1', cs.localPort, '127.0.0.1', cs.remotePort]);
    assert.deepEqual(o.sslAddresses(p), ['127.0.0.1', '127.0.0.1']);
    assert.equal(o.sslPortFileno(p), fdOf(cs));
  }
  for (const p of [sin, sout]) {
    assert.deepEqual(o.sslAddresses(p, true), ['127.0.0.1', ss.localPort, '127.0.0.1', ss.remotePort]);
    assert.equal(o.sslPortFileno(p), fdOf(ss));
  }
  assert.equal(o.sslAddresses(cin, true)[1], o.sslAddresses(sin, true)[3], "the client's local port is the server's remote port");
  assert.ok(o.sslPortFileno(cin) >= 0);
  for (const p of [sin, sout, cin, cout]) p.destroy();
  cs.destroy();
  ss.destroy();
  await close();
});

test('portsToSslPorts with a socket only on one side (socket in, other stream out) still finds it', async () => {
  const [cs, ss, close] = await socketPair();
  // The client reads ciphertext from the socket and writes it through a PassThrough piped into it.
  const out = new PassThrough();
  out.pipe(cs);
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(ss, ss, { mode: 'accept', context: serverContext() }),
    o.portsToSslPorts(cs, out, { mode: 'connect' }),
  ]);
  assert.deepEqual(o.sslAddresses(cin, true), ['127.0.0.1', cs.localPort, '127.0.0.1', cs.remotePort]);
  assert.equal(o.sslPortFileno(cout), fdOf(cs));
  for (const p of [sin, sout, cin, cout]) p.destroy();
  cs.destroy();
  ss.destroy();
  await close();
});

test('ports over streams that are not sockets: sslAddresses says so (ERR_SSL_NO_SOCKET)', async () => {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(ab, ba, { mode: 'accept', context: serverContext() }),
    o.portsToSslPorts(ba, ab, { mode: 'connect' }),
  ]);
  assert.throws(() => o.sslAddresses(cin), (e) => o.isSslError(e) && e.code === 'ERR_SSL_NO_SOCKET' && e.message.startsWith('sslAddresses:'));
  assert.throws(() => o.sslPortFileno(sin), (e) => o.isSslError(e) && e.code === 'ERR_SSL_NO_SOCKET' && e.message.startsWith('sslPortFileno:'));
  for (const p of [sin, sout, cin, cout]) p.destroy();
});

test('sslAddresses and sslPortFileno on a closed connection raise ERR_SSL_CLOSED (sslConnect and portsToSslPorts)', async () => {
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverContext());
  const accepted = o.sslAccept(listener);
  const c = await o.sslConnect('127.0.0.1', o.sslListenerPort(listener), o.sslMakeClientContext());
  const s = await accepted;
  assert.equal(o.sslAddresses(c[0], true)[3], o.sslListenerPort(listener));
  const [cs, ss, close] = await socketPair();
  const [[win, wout], [xin, xout]] = await Promise.all([
    o.portsToSslPorts(ss, ss, { mode: 'accept', context: serverContext() }),
    o.portsToSslPorts(cs, cs, { mode: 'connect' }),
  ]);
  const ports = [...c, ...s, win, wout, xin, xout];
  for (const p of ports) p.destroy();
  for (const p of ports) if (!p.closed) await once(p, 'close');
  for (const p of ports) {
    for (const call of [() => o.sslAddresses(p), () => o.sslAddresses(p, true)]) {
      assert.throws(call, (e) => o.isSslError(e) && e.code === 'ERR_SSL_CLOSED' && e.message.startsWith('sslAddresses:'));
    }
    assert.throws(() => o.sslPortFileno(p), (e) => o.isSslError(e) && e.code === 'ERR_SSL_CLOSED' && e.message.startsWith('sslPortFileno:'));
  }
  cs.destroy();
  ss.destroy();
  await close();
  await o.sslClose(listener);
});
