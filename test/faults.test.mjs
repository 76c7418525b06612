// Faults of the peer: resets mid-stream, half-closes, stalls, close_notify followed by more data,
// vanishing. The process keeps serving others and each failed connection gives back its objects.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { spawn } from 'node:child_process';
import * as o from '../dist/index.js';
import { cert, readExactly, readAll, collectGarbage, startSServer, writeRandom } from './support/helpers.mjs';
import { captureFlights } from './fuzz/fuzz.mjs';

async function server() {
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const l = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  return { l, port: o.sslListenerPort(l) };
}

/** A TCP proxy in front of `port` whose sockets the test can break. */
async function proxy(port) {
  const pairs = [];
  const p = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    down.on('error', () => {});
    up.on('error', () => {});
    down.pipe(up);
    up.pipe(down);
    pairs.push({ down, up });
  });
  await new Promise((r) => p.listen(0, '127.0.0.1', r));
  return { port: p.address().port, pairs, close: () => p.close() };
}

async function servedStillWorks(l, port) {
  const accepted = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port);
  const [sin, sout] = await accepted;
  cout.write('alive');
  assert.equal((await readExactly(sin, 5)).toString(), 'alive');
  for (const p of [cin, cout, sin, sout]) p.destroy();
}

/** Our client and our server connected through the byte-forwarding proxy (whose sockets the tests cut). */
async function proxiedPair() {
  const { l, port } = await server();
  const px = await proxy(port);
  const accepted = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', px.port);
  const [sin, sout] = await accepted;
  return { l, port, px, cin, cout, sin, sout };
}

test('the peer resets mid-stream: the reader gets an SslError with status syscall; others are served', async () => {
  const { l, port, px, cin, cout, sin, sout } = await proxiedPair();
  cout.write('some data');
  await readExactly(sin, 9);
  const err = new Promise((resolve) => sin.once('error', resolve));
  sin.resume(); // a reader: a paused port does not read the socket (back-pressure), so sees no reset
  px.pairs[0].up.resetAndDestroy(); // the server's side of the TCP connection is reset
  const e = await err;
  assert.ok(o.isSslError(e), String(e));
  assert.equal(e.status, 'syscall');
  assert.equal(e.code, 'ECONNRESET');
  assert.match(e.message, /^sslAccept: connection lost \(read ECONNRESET\)/);
  if (!sout.destroyed) await new Promise((r) => sout.once('close', r));
  await servedStillWorks(l, port);
  cin.destroy();
  cout.destroy();
  px.close();
  await o.sslClose(l);
});

test('half-close without close_notify is EOF for the reader, and the other direction still works', async () => {
  const { l, port, px, cin, cout, sin, sout } = await proxiedPair();
  const arrived = new Promise((r) => px.pairs[0].down.once('data', r));
  cout.write('before');
  await arrived; // the record reached the proxy: now FIN after it
  px.pairs[0].up.end(); // FIN towards the server, no close_notify
  assert.equal((await readAll(sin)).toString(), 'before');
  sout.write('reply');
  assert.equal((await readExactly(cin, 5)).toString(), 'reply');
  for (const p of [cin, cout, sin, sout]) p.destroy();
  px.close();
  await o.sslClose(l);
});

test('close_notify then more data: the reader sees EOF at the close_notify', async () => {
  const { l, port } = await server();
  const raw = connect(port, '127.0.0.1');
  await new Promise((r) => raw.once('connect', r));
  const accepted = o.sslAccept(l);
  const [cin, cout] = await o.portsToSslPorts(raw, raw, { mode: 'connect', shutdownOnClose: true });
  const [sin, sout] = await accepted;
  cout.end('last words');
  await new Promise((r) => cout.once('finish', r));
  raw.write(Buffer.from([23, 3, 3, 0, 5, 1, 2, 3, 4, 5])); // an application record after close_notify
  assert.equal((await readAll(sin)).toString(), 'last words');
  for (const p of [cin, sin, sout]) p.destroy();
  raw.destroy();
  await servedStillWorks(l, port);
  await o.sslClose(l);
});

test('stalls: a silent server fails sslConnect by its timeout; a silent client fails sslAccept by its timeout', async () => {
  const sockets = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  await assert.rejects(o.sslConnect('127.0.0.1', silent.address().port, 'auto', { timeout: 200 }), (e) => e.code === 'ETIMEDOUT');
  for (const s of sockets) s.destroy();
  silent.close();
  const { l, port } = await server();
  const quiet = connect(port, '127.0.0.1');
  quiet.on('error', () => {});
  await assert.rejects(o.sslAccept(l, { timeout: 200 }), (e) => e.code === 'ETIMEDOUT' && /^sslAccept: accept failed/.test(e.message));
  quiet.destroy();
  await servedStillWorks(l, port);
  await o.sslClose(l);
});

test('a peer that vanishes mid-handshake or mid-stream leaves no OpenSSL objects behind', async () => {
  const { l, port } = await server();
  const px = await proxy(port);
  for (let i = 0; i < 20; i++) {
    const accepted = o.sslAccept(l).catch((e) => e);
    const client = o.sslConnect('127.0.0.1', px.port).catch((e) => e);
    if (i % 2 === 0) {
      while (px.pairs.length <= i) await new Promise((r) => setImmediate(r));
      px.pairs[i].down.destroy();
      px.pairs[i].up.destroy();
    }
    const [c, s] = await Promise.all([client, accepted]);
    for (const side of [c, s]) if (Array.isArray(side)) for (const p of side) p.destroy();
    if (i % 2 === 1) {
      px.pairs[i].down.destroy();
      px.pairs[i].up.destroy();
    }
  }
  px.close();
  await o.sslClose(l);
  await collectGarbage();
  assert.equal(o.sslObjectCounts().SSL, 0);
  assert.equal(o.sslObjectCounts().BIO, 0);
});

/** Resolves { kind: 'end' } or { kind: 'ssl-error', e } from a reading port; rejects on any other error. */
function outcomeOf(input) {
  return new Promise((resolve, reject) => {
    input.on('data', () => {});
    input.once('end', () => resolve({ kind: 'end' }));
    input.once('error', (e) => (o.isSslError(e) ? resolve({ kind: 'ssl-error', e }) : reject(e)));
  });
}

test('the peer resets our client mid-stream: the client reader gets an SslError (ECONNRESET)', async () => {
  const { l, port, px, cin, cout, sin, sout } = await proxiedPair();
  sout.write('x');
  await readExactly(cin, 1);
  const outcome = outcomeOf(cin);
  px.pairs[0].down.resetAndDestroy(); // the client's side of the TCP connection is reset
  const r = await outcome;
  assert.equal(r.kind, 'ssl-error');
  assert.equal(r.e.status, 'syscall');
  assert.equal(r.e.code, 'ECONNRESET');
  assert.match(r.e.message, /^sslConnect: connection lost/);
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await servedStillWorks(l, port);
  px.close();
  await o.sslClose(l);
});

test('kill -9 of an openssl s_client mid-transfer: our server sees EOF or an SslError and serves the next client', async () => {
  const { l, port } = await server();
  for (const version of ['-tls1_2', '-tls1_3']) {
    const accepted = o.sslAccept(l);
    const child = spawn('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${port}`, version, '-CAfile', cert('root-ca.pem'), '-verify_return_error'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {});
    child.stdout.resume();
    try {
      const [sin, sout] = await accepted;
      child.stdin.write(Buffer.alloc(100000, 7)); // s_client is sending …
      await readExactly(sin, 50000);
      const outcome = outcomeOf(sin);
      sout.on('error', () => {});
      // … and we are sending when it dies (a write that waits for 'drain' on a destroyed port stays pending).
      writeRandom(sout, 8 << 20).catch(() => {});
      child.kill('SIGKILL');
      const r = await outcome;
      assert.ok(r.kind === 'end' || r.e.status === 'syscall', `${version}: ${r.kind} ${r.e?.message}`);
      sout.destroy();
      sin.destroy();
    } finally {
      child.kill('SIGKILL');
    }
    await servedStillWorks(l, port);
  }
  await o.sslClose(l);
});

test('kill -9 of an openssl s_server mid-transfer: our client sees EOF or an SslError', async () => {
  const s = await startSServer(['-cert', cert('server-rsa.pem'), '-key', cert('server-rsa.key'), '-cert_chain', cert('intermediate-ca.pem')]);
  s.child.stdin.on('error', () => {});
  try {
    const [cin, cout] = await o.sslConnect('127.0.0.1', s.port);
    s.child.stdout.resume(); // s_server writes what it receives to its stdout …
    s.child.stdin.write(Buffer.alloc(1000, 1)); // … and sends what it reads on its stdin
    await readExactly(cin, 1000);
    const outcome = outcomeOf(cin);
    cout.on('error', () => {});
    cout.write(Buffer.alloc(1 << 20, 2));
    s.kill();
    const r = await outcome;
    assert.ok(r.kind === 'end' || r.e.status === 'syscall', `${r.kind} ${r.e?.message}`);
    cin.destroy();
    cout.destroy();
  } finally {
    s.kill();
  }
});

test("stalls mid-handshake: the listener's handshakeTimeout and sslConnect's timeout end them", async () => {
  const { l, port } = await server();
  const { fromClient, fromServer } = await captureFlights({ protocol: 'tls12', key: 'rsa' });
  const clientHello = fromClient.subarray(0, 5 + fromClient.readUInt16BE(3));
  // A client that sends a whole ClientHello, takes the server's flight and then says nothing more.
  l.handshakeTimeout = 250;
  const stalled = connect(port, '127.0.0.1', () => stalled.write(clientHello));
  stalled.on('error', () => {});
  const gotServerFlight = new Promise((resolve) => stalled.once('data', resolve));
  await assert.rejects(o.sslAccept(l), (e) => {
    assert.ok(o.isSslError(e));
    assert.equal(e.code, 'ETIMEDOUT');
    assert.match(e.message, /^sslAccept: accept failed \(handshake timed out after 250 ms\)/);
    return true;
  });
  assert.ok((await gotServerFlight).length > 0, 'the server answered the ClientHello before the stall');
  stalled.destroy();
  l.handshakeTimeout = 30_000;
  await servedStillWorks(l, port);
  await o.sslClose(l);
  // A server that answers a ClientHello with half of its first flight and then stalls.
  const sockets = [];
  const half = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    sock.once('data', () => sock.write(fromServer.subarray(0, fromServer.length >> 1)));
  });
  await new Promise((r) => half.listen(0, '127.0.0.1', r));
  // (As the captured client did, send SNI "localhost": the recorded ServerHello acknowledges it.)
  await assert.rejects(o.sslConnect('localhost', half.address().port, 'tls12', { timeout: 300 }), (e) => {
    assert.ok(o.isSslError(e));
    assert.equal(e.code, 'ETIMEDOUT');
    assert.match(e.message, /^sslConnect: /);
    return true;
  });
  for (const sock of sockets) sock.destroy();
  half.close();
});

test('after all the faults: no SSL or BIO objects are left', async () => {
  await new Promise((r) => setTimeout(r, 100));
  await collectGarbage();
  const counts = o.sslObjectCounts();
  assert.equal(counts.SSL, 0, JSON.stringify(counts));
  assert.equal(counts.BIO, 0, JSON.stringify(counts));
});
