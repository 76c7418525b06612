// Our client against our server over loopback TCP: handshakes, data, closing semantics, ports.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert, readAll, readExactly, writeRandom, hashExactly, collectGarbage } from './support/helpers.mjs';

async function testListener(protocol = 'auto', chain = 'server-rsa-chain.pem', key = 'server-rsa.key') {
  const ctx = o.sslMakeServerContext(protocol, { certificateChain: cert(chain), privateKey: ['pem', cert(key)] });
  const listener = await o.sslListen(0, 5, true, '127.0.0.1', ctx);
  const [, port] = o.sslAddresses(listener, true);
  return { listener, port, ctx };
}

function verifyingClient(protocol = 'auto') {
  const ctx = o.sslMakeClientContext(protocol);
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  return ctx;
}

test('sslAvailable and the OpenSSL in use', () => {
  assert.equal(o.sslAvailable, true);
  assert.equal(o.sslLoadFailReason, null);
  const info = o.opensslInfo();
  assert.match(info.version, /^OpenSSL 3\./);
  assert.ok(['system', 'node'].includes(info.source));
  if (process.env.OPENSSL_PORTS_LIB) assert.equal(info.source, process.env.OPENSSL_PORTS_LIB);
});

test('request/response over sslListen + sslConnect, verified, with EOF on close', async () => {
  const { listener, port } = await testListener();
  const server = (async () => {
    const [input, output] = await o.sslAccept(listener);
    assert.ok(o.isSslPort(input) && o.isSslPort(output));
    const got = await readExactly(input, 5);
    input.destroy();
    output.end(Buffer.concat([Buffer.from('hello '), got]));
  })();
  const [input, output] = await o.sslConnect('localhost', port, verifyingClient());
  output.write('abcde');
  assert.equal((await readAll(input)).toString(), 'hello abcde');
  output.end();
  await new Promise((r) => output.once('close', r));
  await server;
  assert.throws(() => o.sslPeerVerified(output), /sslPeerVerified: the connection is closed/);
  await o.sslClose(listener);
});

test("'tls12' and 'tls13' negotiate what they say; 'auto' gets TLS 1.3", async () => {
  const { listener, port } = await testListener();
  for (const p of ['tls12', 'tls13', 'auto']) {
    const accepted = o.sslAccept(listener);
    const [input, output] = await o.sslConnect('127.0.0.1', port, p);
    const [sin, sout] = await accepted;
    const expected = p === 'auto' ? 'tls13' : p;
    assert.equal(o.sslProtocolVersion(input), expected);
    assert.equal(o.sslProtocolVersion(sout), expected);
    for (const port of [input, output, sin, sout]) port.destroy();
  }
  await o.sslClose(listener);
});

test('a server limited to tls12 refuses a tls13-only client with an SslError', async () => {
  const { listener, port } = await testListener('tls12');
  const accepted = o.sslAccept(listener).then(
    () => null,
    (e) => e,
  );
  await assert.rejects(o.sslConnect('127.0.0.1', port, 'tls13'), (e) => {
    assert.ok(o.isSslError(e));
    assert.match(e.message, /^sslConnect: connect failed \(/);
    assert.equal(e.status, 'ssl');
    return true;
  });
  const se = await accepted;
  assert.ok(o.isSslError(se));
  assert.match(se.message, /^sslAccept: accept failed/);
  await o.sslClose(listener);
});

test('64 MiB both ways at once with back-pressure, hashed on both ends', async () => {
  const { listener, port } = await testListener();
  const size = 64 << 20;
  const server = (async () => {
    const [input, output] = await o.sslAccept(listener);
    const [sent, got] = await Promise.all([writeRandom(output, size), hashExactly(input, size)]);
    return { sent, got, ports: [input, output] };
  })();
  const [input, output] = await o.sslConnect('127.0.0.1', port);
  const [sent, got] = await Promise.all([writeRandom(output, size), hashExactly(input, size)]);
  const s = await server;
  assert.equal(got, s.sent, 'server to client');
  assert.equal(s.got, sent, 'client to server');
  for (const p of [input, output, ...s.ports]) p.destroy();
  await o.sslClose(listener);
});

test('closing: output close sends no close_notify; both ports closed closes TCP; abandon', async () => {
  const { listener, port } = await testListener();
  const accepted = o.sslAccept(listener);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port);
  const [sin, sout] = await accepted;
  cout.end('x');
  assert.equal((await readExactly(sin, 1)).toString(), 'x');
  // The server's input has not ended: no close_notify was sent and the TCP connection is still open.
  const ended = await Promise.race([new Promise((r) => sin.once('end', () => r(true))), new Promise((r) => setTimeout(() => r(false), 200))]);
  assert.equal(ended, false);
  // Closing the client's input too closes the TCP connection: the server sees EOF.
  cin.destroy();
  assert.equal((await readAll(sin)).length, 0);
  o.sslAbandonPort(sout);
  await new Promise((r) => sout.once('close', r));
  await o.sslClose(listener);
});

test('listener: for await, AsyncDisposable, accept-ready, port and fileno', async () => {
  const { listener, port } = await testListener();
  assert.equal(o.isSslListener(listener), true);
  assert.equal(o.sslListenerPort(listener), port);
  assert.ok(o.sslListenerFileno(listener) >= 0);
  assert.equal(o.sslListenerAcceptReady(listener), false);
  const clients = [];
  for (let i = 0; i < 3; i++) clients.push(o.sslConnect('127.0.0.1', port));
  let n = 0;
  for await (const [input, output] of listener) {
    output.end(`${n}`);
    input.destroy();
    if (++n === 3) break;
  }
  for (const c of await Promise.all(clients)) {
    assert.match((await readAll(c[0])).toString(), /^[012]$/);
    c[1].destroy();
  }
  // `await using l2 = …` in TypeScript; Node 20's JavaScript has no syntax for it, so call the disposer.
  const l2 = await o.sslListen(0, 5, false, '127.0.0.1', o.sslMakeServerContext());
  await l2[Symbol.asyncDispose]();
  await assert.rejects(o.sslAccept(l2), /listener is closed/);
  await o.sslClose(listener);
  await assert.rejects(o.sslAccept(listener), /sslAccept: the listener is closed/);
});

test('sslAddresses on ports and listeners', async () => {
  const { listener, port } = await testListener();
  const accepted = o.sslAccept(listener);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port);
  const [sin, sout] = await accepted;
  const [local, lport, remote, rport] = o.sslAddresses(cin, true);
  assert.equal(remote, '127.0.0.1');
  assert.equal(rport, port);
  assert.deepEqual(o.sslAddresses(sout, true), [remote, rport, local, lport]);
  assert.deepEqual(o.sslAddresses(listener), ['127.0.0.1', '0.0.0.0']);
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(listener);
});

test('sslConnect: refused port and bad arguments', async () => {
  await assert.rejects(o.sslConnect('127.0.0.1', 1), (e) => {
    assert.ok(o.isSslError(e));
    assert.match(e.message, /^sslConnect: connect failed/);
    assert.equal(e.code, 'ECONNREFUSED');
    assert.equal(e.status, 'syscall');
    return true;
  });
  await assert.rejects(o.sslConnect(42, 443), TypeError);
  await assert.rejects(o.sslConnect('localhost', 70000), RangeError);
  await assert.rejects(o.sslConnect('localhost', 443, 'nope'), RangeError);
  await assert.rejects(o.sslConnect('localhost', 443, 'sslv2'), (e) => o.isSslError(e) && /not supported/.test(e.message));
  await assert.rejects(o.sslConnect('localhost', 443, 'auto', { alpn: [Buffer.alloc(0)] }), RangeError);
  await assert.rejects(o.sslConnect('localhost', 443, 'auto', { alpn: [Buffer.alloc(256)] }), RangeError);
});

test('sslAccept with an AbortSignal', async () => {
  const { listener } = await testListener();
  const ac = new AbortController();
  const p = o.sslAccept(listener, { signal: ac.signal });
  ac.abort();
  await assert.rejects(p, (e) => o.isSslError(e) && e.code === 'ABORT_ERR');
  await o.sslClose(listener);
});

test('no OpenSSL object outlives its connection (counters back to zero under forced GC)', async () => {
  await collectGarbage();
  const before = o.sslObjectCounts();
  const { listener, port } = await testListener();
  for (let i = 0; i < 50; i++) {
    const accepted = o.sslAccept(listener);
    const [cin, cout] = await o.sslConnect('127.0.0.1', port, 'auto', { reuseSession: false });
    const [sin, sout] = await accepted;
    cout.write('ping');
    await readExactly(sin, 4);
    for (const p of [cin, cout, sin, sout]) p.destroy();
  }
  await o.sslClose(listener);
  await collectGarbage();
  const after = o.sslObjectCounts();
  assert.equal(after.SSL, 0);
  assert.equal(after.BIO, 0);
  assert.equal(after.X509, 0);
  assert.equal(after.EVP_PKEY, 0);
  assert.ok(after.SSL_CTX <= before.SSL_CTX + 2, `contexts collected: ${JSON.stringify(after)}`);
});

test('a context dropped by its caller lives as long as its connections (keylogger included)', async () => {
  const { listener, port } = await testListener();
  const lines = [];
  const accepted = o.sslAccept(listener);
  const [cin, cout] = await (async () => {
    const ctx = o.sslMakeClientContext('tls12');
    o.sslSetKeylogger(ctx, (l) => lines.push(l));
    return o.sslConnect('127.0.0.1', port, ctx);
  })();
  const [sin, sout] = await accepted;
  await collectGarbage();
  const before = lines.length;
  assert.ok(before > 0);
  cout.write('still here');
  assert.equal((await readExactly(sin, 10)).toString(), 'still here');
  sout.write('yes');
  assert.equal((await readExactly(cin, 3)).toString(), 'yes');
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(listener);
});
