// The socket view of a connection (SslSocket): a TLSSocket-shaped Duplex over real TLS on loopback,
// checked against node:tls and openssl s_server on the other end.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, startSServer, collectGarbage } from './support/helpers.mjs';

const ca = readFileSync(cert('root-ca.pem'));

function serverContext(alpn) {
  const ctx = o.sslMakeServerContext('auto');
  o.sslLoadCertificateChain(ctx, cert('server-rsa-chain.pem'));
  o.sslLoadPrivateKey(ctx, cert('server-rsa.key'));
  if (alpn) o.sslSetServerAlpn(ctx, alpn.map((p) => Buffer.from(p)));
  return ctx;
}

async function ourListener(t, alpn) {
  const listener = await o.sslListen(0, 5, true, '127.0.0.1', serverContext(alpn));
  t.after(() => o.sslClose(listener));
  return { listener, port: o.sslListenerPort(listener) };
}

async function nodeTlsServer(t, onSocket, options = {}) {
  const server = createTlsServer({ key: readFileSync(cert('server-rsa.key')), cert: readFileSync(cert('server-rsa-chain.pem')), ...options }, onSocket);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return server;
}

const connected = async (socket) => {
  if (socket.connecting) await once(socket, 'secureConnect');
  return socket;
};

test('SslSocket against node:tls: TLSSocket queries agree with the server side (protocol, cipher, ALPN, certificate, keying material, addresses)', async (t) => {
  const seen = [];
  const server = await nodeTlsServer(
    t,
    (s) => {
      s.on('error', () => {});
      seen.push({ protocol: s.getProtocol(), cipher: s.getCipher().name, alpn: s.alpnProtocol, ekm: s.exportKeyingMaterial(32, 'EXPERIMENTAL-test', Buffer.from('ctx')), remotePort: s.remotePort });
      s.once('data', () => s.write('bye'));
      s.on('end', () => s.end());
      s.resume();
    },
    { ALPNProtocols: ['h2', 'http/1.1'] },
  );
  const port = server.address().port;
  const socket = o.sslSocketConnect({ host: 'localhost', port, ca, ALPNProtocols: ['http/1.1'] });
  assert.equal(socket.connecting, true);
  assert.equal(socket.pending, true);
  assert.equal(socket.getProtocol(), null);
  const events = [];
  for (const e of ['connect', 'secureConnect', 'ready']) socket.once(e, () => events.push(e));
  await connected(socket);
  assert.deepEqual(events, ['connect', 'secureConnect', 'ready']);
  assert.equal(socket.connecting, false);
  assert.equal(socket.encrypted, true);
  assert.equal(socket.authorized, true);
  assert.equal(socket.authorizationError, null);
  assert.equal(socket.alpnProtocol, 'http/1.1');
  assert.equal(socket.remoteAddress, '127.0.0.1');
  assert.equal(socket.remotePort, port);
  assert.equal(socket.remoteFamily, 'IPv4');
  assert.equal(socket.localAddress, '127.0.0.1');
  assert.equal(socket.getPeerCertificate().subject.CN, 'localhost');
  assert.ok(socket.getPeerX509Certificate().subject.includes('CN=localhost'));
  assert.equal(socket.isSessionReused(), false);
  socket.write('go');
  const [reply] = await once(socket, 'data');
  assert.equal(reply.toString(), 'bye');
  const [first] = seen;
  assert.equal(socket.getProtocol(), first.protocol);
  assert.equal(socket.getCipher().name, first.cipher);
  assert.deepEqual(socket.exportKeyingMaterial(32, 'EXPERIMENTAL-test', Buffer.from('ctx')), first.ekm);
  assert.notDeepEqual(socket.exportKeyingMaterial(32, 'EXPERIMENTAL-test'), first.ekm);
  assert.equal(first.alpn, 'http/1.1');
  assert.equal(first.remotePort, socket.localPort);
  // A second connection resumes the session (same connector, same context).
  const again = await connected(o.sslSocketConnect({ host: 'localhost', port, ca, ALPNProtocols: ['http/1.1'] }));
  assert.equal(again.isSessionReused(), true);
  again.destroy();
  socket.end();
  await once(socket, 'close');
  assert.equal(socket.getProtocol(), null, 'closed: null, as TLSSocket');
  assert.equal(socket.remoteAddress, '127.0.0.1', 'addresses stay readable');
});

test('SslSocket: rejectUnauthorized false connects to an untrusted server and says why; never the default', async (t) => {
  const server = await nodeTlsServer(t, (s) => s.end('x'), { key: readFileSync(cert('bad-self-signed.key')), cert: readFileSync(cert('bad-self-signed.pem')) });
  const port = server.address().port;
  const refused = o.sslSocketConnect({ host: 'localhost', port, ca });
  const [err] = await once(refused, 'error');
  assert.equal(err.code, 'CERTIFICATE_VERIFY_FAILED');
  assert.match(err.message, /^sslSocketConnect: connect failed \(.*certificate verify failed/);
  assert.throws(() => o.sslSocketConnect({ host: 'localhost', port, rejectUnauthorised: false }), /unknown option "rejectUnauthorised"/);
  const s = await connected(o.sslSocketConnect({ host: 'localhost', port, ca, rejectUnauthorized: false }));
  assert.equal(s.authorized, false);
  assert.match(s.authorizationError, /self.signed/);
  // The verification result is read-only: a caller cannot make an unverified peer look verified.
  assert.throws(() => {
    s.authorized = true;
  }, TypeError);
  assert.equal(s.authorized, false);
  s.destroy();
  assert.throws(() => o.sslSocketConnect({ host: 'localhost', port, cert: 'x' }), /option "cert" is not supported/);
  assert.throws(() => o.sslSocketConnect({ host: 'localhost', port, context: o.sslMakeClientContext(), ca }), /ca or context, not both/);
});

test('SslSocket: end() sends close_notify and then FIN (openssl s_server reports a clean shutdown, not an unexpected EOF)', async (t) => {
  const s = await startSServer(['-cert', cert('server-rsa.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('server-rsa.key')]);
  t.after(s.kill);
  let out = '';
  s.child.stdout.on('data', (d) => (out += d));
  s.child.stderr.on('data', (d) => (out += d));
  const socket = await connected(o.sslSocketConnect({ host: 'localhost', port: s.port, ca }));
  socket.end('last words\n');
  await once(socket, 'finish');
  for (let i = 0; !/DONE/.test(out); i++) {
    assert.ok(i < 500, `s_server never saw the close: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(out, /last words\n/);
  assert.doesNotMatch(out, /unexpected eof|ERROR/i);
  socket.destroy();
});

test('SslSocket: back-pressure both ways, and every byte arrives (8 MiB each way, hashed)', async (t) => {
  const { listener, port } = await ourListener(t);
  const accepted = o.sslAccept(listener);
  const client = await connected(o.sslSocketConnect({ host: 'localhost', port, ca }));
  const server = o.sslPortsToSocket(...(await accepted));
  const total = 8 * 1024 * 1024;
  const data = randomBytes(total);
  // Nobody reads on the server yet: the client's write() says false before it has taken 8 MiB.
  server.pause();
  let wrote = 0;
  while (wrote < total && client.write(data.subarray(wrote, wrote + 65536))) wrote += 65536;
  assert.ok(wrote < total, 'write() never returned false');
  const h = createHash('sha256');
  let got = 0;
  const done = new Promise((resolve) => server.on('data', (c) => (h.update(c), (got += c.length) === total && resolve())));
  server.resume();
  wrote += 65536;
  while (wrote < total) {
    if (!client.write(data.subarray(wrote, wrote + 65536))) await once(client, 'drain');
    wrote += 65536;
  }
  await done;
  assert.equal(h.digest('hex'), createHash('sha256').update(data).digest('hex'));
  // The other way: the client does not read; the server's socket fills up.
  client.pause();
  let sent = 0;
  while (sent < total && server.write(data.subarray(sent, sent + 65536))) sent += 65536;
  assert.ok(sent < total, 'server write() never returned false');
  client.destroy();
  server.destroy();
});

test('SslSocket: allowHalfOpen keeps the writable side after the peer ended; without it the socket ends too', async (t) => {
  const { listener, port } = await ourListener(t);
  for (const allowHalfOpen of [true, false]) {
    const accepted = o.sslAccept(listener);
    const client = await connected(o.sslSocketConnect({ host: 'localhost', port, ca, allowHalfOpen }));
    const server = o.sslPortsToSocket(...(await accepted), { allowHalfOpen: true });
    const serverGot = [];
    server.on('data', (c) => serverGot.push(c));
    const serverEnded = once(server, 'end');
    client.resume();
    server.end();
    await once(client, 'end');
    if (allowHalfOpen) {
      assert.equal(client.writable, true);
      client.end('after the peer ended');
    } else assert.equal(client.writable, false);
    await serverEnded;
    assert.equal(Buffer.concat(serverGot).toString(), allowHalfOpen ? 'after the peer ended' : '');
    client.destroy();
    server.destroy();
  }
});

test('SslSocket: setTimeout emits timeout when idle (and does not close); destroy() closes both ends; nothing leaks', async (t) => {
  const { listener, port } = await ourListener(t);
  const accepted = o.sslAccept(listener);
  const client = await connected(o.sslSocketConnect({ host: 'localhost', port, ca }));
  const server = o.sslPortsToSocket(...(await accepted));
  client.setTimeout(100);
  assert.equal(client.timeout, 100);
  await once(client, 'timeout');
  assert.equal(client.destroyed, false);
  client.setTimeout(0);
  assert.equal(client.setNoDelay(true), client);
  assert.equal(client.setKeepAlive(true, 1000), client);
  assert.equal(client.unref(), client);
  assert.equal(client.ref(), client);
  server.resume();
  const serverClosed = once(server, 'close');
  client.destroy();
  await serverClosed;
  await collectGarbage();
  await new Promise((r) => setTimeout(r, 50));
  const counts = o.sslObjectCounts();
  assert.equal(counts.SSL ?? 0, 0, JSON.stringify(counts));
});

test('SslSocket: writes made while connecting wait for the handshake; destroy() while connecting aborts it', async (t) => {
  const { listener, port } = await ourListener(t);
  const accepted = o.sslAccept(listener);
  const client = o.sslSocketConnect({ host: 'localhost', port, ca });
  client.write('early ');
  client.end('bird');
  const server = o.sslPortsToSocket(...(await accepted));
  const got = [];
  for await (const c of server) got.push(c);
  assert.equal(Buffer.concat(got).toString(), 'early bird');
  const aborted = o.sslSocketConnect({ host: 'localhost', port, ca });
  aborted.on('error', () => assert.fail('no error after destroy()'));
  aborted.destroy();
  await once(aborted, 'close');
  client.destroy();
});
