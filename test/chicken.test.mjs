// The Chicken egg's rows: error status from SSL_get_error, listener port/fileno/accept-ready, its
// argument orders, and root certificates from a hashed directory.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import * as o from '../dist/index.js';
import { cert, readExactly } from './support/helpers.mjs';

const serverCtx = () => o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });

/** A raw TCP server that answers every connection with `reply` (or runs `onSocket`). */
async function rawServer(onSocket) {
  const server = createServer(onSocket);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: server.address().port };
}

test("status 'ssl': a protocol error (garbage instead of a ServerHello)", async () => {
  const { server, port } = await rawServer((s) => {
    s.once('data', () => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    s.on('error', () => {});
  });
  await assert.rejects(o.sslConnect('127.0.0.1', port), (e) => {
    assert.equal(e.status, 'ssl');
    assert.match(e.message, /^sslConnect: connect failed \(.*wrong version number/);
    assert.equal(e.code, 'WRONG_VERSION_NUMBER');
    return true;
  });
  server.close();
});

test("status 'zero-return': the peer answers the ClientHello with close_notify", async () => {
  const { server, port } = await rawServer((s) => {
    // A TLS alert record: warning(1) close_notify(0).
    s.once('data', () => s.write(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00])));
    s.on('error', () => {});
  });
  await assert.rejects(o.sslConnect('127.0.0.1', port), (e) => {
    assert.ok(o.isSslError(e));
    assert.equal(e.status, 'zero-return');
    return true;
  });
  server.close();
});

test("status 'syscall': the peer resets or closes the connection during the handshake", async () => {
  const { server, port } = await rawServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.resetAndDestroy());
  });
  await assert.rejects(o.sslConnect('127.0.0.1', port), (e) => {
    assert.equal(e.status, 'syscall');
    assert.match(e.message, /^sslConnect: connect failed/);
    return true;
  });
  server.close();
  const closing = await rawServer((s) => s.once('data', () => s.end()));
  await assert.rejects(o.sslConnect('127.0.0.1', closing.port), (e) => e.status === 'syscall' && /closed by peer/.test(e.message));
  closing.server.close();
});

test("status 'zero-return' on a live port: verifying after the peer's close_notify", async () => {
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx());
  const accepted = o.sslAccept(listener);
  const [cin, cout] = await connectWithShutdown(o.sslListenerPort(listener));
  const [sin, sout] = await accepted;
  cout.end(); // sends close_notify (shutdownOnClose)
  await new Promise((r) => sin.once('end', r).resume());
  await assert.rejects(o.sslTryVerify(sout, true), (e) => {
    assert.match(e.message, /^sslTryVerify: failed/);
    assert.equal(e.status, 'zero-return');
    return true;
  });
  cin.destroy();
  sin.destroy();
  sout.destroy();
  await o.sslClose(listener);
});

async function connectWithShutdown(port) {
  const { connect } = await import('node:net');
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  return o.portsToSslPorts(socket, socket, { mode: 'connect', encrypt: 'tls12', shutdownOnClose: true, closeOriginal: true });
}

test('statuses that memory BIOs cannot produce are documented, and errors without a TLS cause have status null', async () => {
  // want-read / want-write are handled inside the engine (the memory BIO never blocks the writer, and a
  // missing record only waits); want-connect / want-accept belong to OpenSSL's socket BIOs, which the
  // engine does not use; want-X509-lookup needs a client-certificate callback, which it does not install.
  await assert.rejects(o.sslConnect('127.0.0.1', 1, 'auto', { timeout: 2000 }), (e) => e.status === 'syscall' && e.code === 'ECONNREFUSED');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(o.sslConnect('127.0.0.1', 1, 'auto', { signal: ac.signal }), (e) => e.status === null && e.code === 'ABORT_ERR');
});

test('listener: sslListenerPort, sslListenerFileno, sslListenerAcceptReady', async () => {
  const listener = await o.sslListen(0, 4, false, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(listener);
  assert.ok(port > 0);
  assert.equal(typeof o.sslListenerFileno(listener), 'number');
  assert.ok(o.sslListenerFileno(listener) > 2);
  assert.equal(o.sslListenerAcceptReady(listener), false);
  const client = o.sslConnect('127.0.0.1', port);
  for (let i = 0; i < 100 && !o.sslListenerAcceptReady(listener); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(o.sslListenerAcceptReady(listener), true);
  const [sin, sout] = await o.sslAccept(listener);
  const [cin, cout] = await client;
  assert.equal(o.sslListenerAcceptReady(listener), false);
  assert.ok(o.sslPortFileno(cin) > 2);
  for (const p of [sin, sout, cin, cout]) p.destroy();
  await o.sslClose(listener);
});

test("the egg's argument orders: sslListen(port, backlog, hostname, ctx) and sslConnect('host:port')", async () => {
  const listener = await o.sslListen(0, 4, '127.0.0.1', serverCtx());
  const [addr, port] = o.sslAddresses(listener, true);
  assert.equal(addr, '127.0.0.1');
  const accepted = o.sslAccept(listener);
  const [cin, cout] = await o.sslConnect(`127.0.0.1:${port}`);
  const [sin, sout] = await accepted;
  cout.write('egg');
  assert.equal((await readExactly(sin, 3)).toString(), 'egg');
  for (const p of [sin, sout, cin, cout]) p.destroy();
  await o.sslClose(listener);
});

test('sslLoadVerifyRootCertificates with a file, a hashed directory, or both', async () => {
  const listener = await o.sslListen(0, 4, false, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(listener);
  for (const args of [[cert('root-ca.pem')], [null, cert('ca-dir')], [cert('root-ca.pem'), cert('ca-dir')]]) {
    const ctx = o.sslMakeClientContext();
    o.sslLoadVerifyRootCertificates(ctx, ...args);
    o.sslSetVerify(ctx, true);
    const accepted = o.sslAccept(listener);
    const [cin, cout] = await o.sslConnect('localhost', port, ctx);
    assert.equal(o.sslPeerVerified(cin), true, JSON.stringify(args));
    const [sin, sout] = await accepted;
    for (const p of [sin, sout, cin, cout]) p.destroy();
  }
  assert.throws(() => o.sslLoadVerifyRootCertificates(o.sslMakeClientContext(), null, null), TypeError);
  assert.throws(() => o.sslLoadVerifyRootCertificates(o.sslMakeClientContext(), cert('does-not-exist.pem')), (e) => o.isSslError(e));
  await o.sslClose(listener);
});

test('Racket 5.0 conventions: sslListen(port, queue) and sslMakeServerContext(protocol)', async () => {
  const ctx = o.sslMakeServerContext('sslv2-or-v3');
  assert.equal(o.isSslServerContext(ctx), true);
  o.sslLoadCertificateChain(ctx, cert('test.pem'));
  o.sslLoadPrivateKey(ctx, cert('test.pem'));
  const listener = await o.sslListen(0, 5);
  o.sslLoadCertificateChain(listener, cert('test.pem'));
  o.sslLoadPrivateKey(listener, cert('test.pem'), true, false);
  const port = o.sslListenerPort(listener);
  const accepted = o.sslAccept(listener);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port, 'sslv2-or-v3');
  const [sin, sout] = await accepted;
  assert.equal(o.sslProtocolVersion(cin), 'tls13');
  for (const p of [sin, sout, cin, cout]) p.destroy();
  await o.sslClose(listener);
  assert.throws(() => o.sslMakeServerContext('sslv2'), (e) => o.isSslError(e) && /SSL 2\.0/.test(e.message));
  assert.throws(() => o.sslMakeClientContext('sslv3'), (e) => o.isSslError(e) && /SSL 3\.0/.test(e.message));
});
