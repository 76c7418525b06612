// Hostile input and API misuse: the fuzzer's short run (10,000 cases; FUZZ_LONG=1: 100,000), garbage over real TCP,
// and misuse of the API. Each case ends in an SslError or a clean refusal: never a crash or a hang.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import * as o from '../dist/index.js';
import { runFuzz, captureFlights } from './fuzz/fuzz.mjs';
import { cert, readExactly, collectGarbage } from './support/helpers.mjs';

// FUZZ_LONG=1 (or CONFORMANCE_LONG=1) runs the long form; FUZZ_CASES overrides the count.
const FUZZ_CASES = Number(process.env.FUZZ_CASES ?? (process.env.FUZZ_LONG === '1' || process.env.CONFORMANCE_LONG === '1' ? 100_000 : 10_000));

test(`mutation fuzzer: ${FUZZ_CASES.toLocaleString('en')} mutated handshakes against server and client`, async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? 20261123);
  const res = await runFuzz({ cases: FUZZ_CASES, seed });
  const summary = `fuzz: ${res.cases} cases run (seed ${seed}; sweep ${res.sweep}, replay ${res.replay}, relay ${res.relay}): ${res['ssl-error']} SslErrors, ${res.completed} completed, ${res.unhandled} unhandled rejections, ${res.uncaught} uncaught exceptions`;
  console.log(summary);
  t.diagnostic(`fuzz outcomes: ${JSON.stringify(res.outcomes)}; mutators: ${JSON.stringify(res.perMutator)}`);
  assert.equal(res.cases, FUZZ_CASES);
  assert.equal(res.other, 0);
  assert.equal(res.unhandled, 0);
  assert.equal(res.uncaught, 0);
  assert.equal(res['ssl-error'] + res.completed, FUZZ_CASES);
  assert.ok(res['ssl-error'] > FUZZ_CASES / 2, summary);
  await collectGarbage();
  const counts = o.sslObjectCounts();
  assert.equal(counts.SSL, 0);
  assert.equal(counts.BIO, 0);
});

async function listener() {
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const l = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  return { l, port: o.sslListenerPort(l) };
}

function rawSend(port, bytes, { end = true, destroyAfter = 0 } = {}) {
  const s = connect(port, '127.0.0.1', () => {
    s.write(bytes);
    if (destroyAfter) setTimeout(() => s.destroy(), destroyAfter);
    else if (end) s.end();
  });
  s.on('error', () => {});
  s.resume();
  return s;
}

test('garbage, a truncated ClientHello and a socket closed mid-handshake fail that accept only', async () => {
  const { l, port } = await listener();
  const { fromClient } = await captureFlights({ protocol: 'tls13', key: 'rsa' });
  const clientHello = fromClient.subarray(0, 5 + fromClient.readUInt16BE(3));
  const attacks = [
    ['random bytes', randomBytes(4096), {}],
    ['HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), {}],
    ['truncated ClientHello', clientHello.subarray(0, clientHello.length >> 1), {}],
    ['ClientHello then close', clientHello, { destroyAfter: 20 }],
    ['empty connection', Buffer.alloc(0), {}],
  ];
  for (const [name, bytes, opts] of attacks) {
    const s = rawSend(port, bytes, opts);
    await assert.rejects(o.sslAccept(l, { timeout: 3000 }), (e) => {
      assert.ok(o.isSslError(e), `${name}: ${e}`);
      assert.match(e.message, /^sslAccept: accept failed/, name);
      return true;
    });
    s.destroy();
    // The next real client is served.
    const accepted = o.sslAccept(l);
    const [cin, cout] = await o.sslConnect('127.0.0.1', port);
    const [sin, sout] = await accepted;
    cout.write('ok');
    assert.equal((await readExactly(sin, 2)).toString(), 'ok', name);
    for (const p of [cin, cout, sin, sout]) p.destroy();
  }
  // A client that stalls mid-handshake is cut off by the listener's handshake timeout.
  l.handshakeTimeout = 300;
  const stalled = rawSend(port, clientHello.subarray(0, 10), { end: false });
  await assert.rejects(o.sslAccept(l), (e) => e.code === 'ETIMEDOUT' && /handshake timed out/.test(e.message));
  stalled.destroy();
  await o.sslClose(l);
});

test('API misuse: closed ports, double close, wrong kinds, huge ALPN lists, invalid PEM', async () => {
  const { l, port } = await listener();
  const accepted = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port);
  const [sin, sout] = await accepted;
  // Write after end: the callback and an 'error' event get the error; nothing is thrown.
  sout.end('bye');
  const afterEnd = new Promise((resolve) => sout.once('error', resolve));
  const afterEndCb = await new Promise((resolve) => sout.write('more', resolve));
  assert.equal(afterEndCb?.code, 'ERR_STREAM_WRITE_AFTER_END');
  assert.equal((await afterEnd).code, 'ERR_STREAM_WRITE_AFTER_END');
  // Closed ports: double destroy, write after destroy, queries on a closed connection.
  cout.destroy();
  cout.destroy();
  cin.destroy();
  cin.destroy();
  const writeErr = await new Promise((resolve) => cout.write('x', resolve));
  assert.ok(writeErr instanceof Error);
  assert.throws(() => o.sslPeerVerified(cin), (e) => o.isSslError(e) && /^sslPeerVerified: the connection is closed/.test(e.message));
  assert.throws(() => o.sslGetAlpnSelected(cout), (e) => o.isSslError(e));
  assert.throws(() => o.sslProtocolVersion(cin), (e) => o.isSslError(e));
  assert.throws(() => o.sslPeerSubjectName(cout), (e) => o.isSslError(e));
  sin.destroy();
  sout.destroy();
  // Closing a listener rejects a pending sslAccept with an SslError.
  const pendingSettled = o.sslAccept(l).then(
    () => null,
    (e) => e,
  );
  await o.sslClose(l);
  const pe = await pendingSettled;
  assert.ok(o.isSslError(pe), String(pe));
  assert.equal(pe.code, 'ERR_SSL_LISTENER_CLOSED');
  await o.sslClose(l); // twice is fine
  await assert.rejects(o.sslAccept(l), (e) => o.isSslError(e) && /closed/.test(e.message));
  assert.throws(() => o.sslListenerPort(l), (e) => o.isSslError(e) && /^sslListenerPort: the listener is closed/.test(e.message));
  assert.equal(o.sslListenerAcceptReady(l), false);
  await assert.rejects(o.portsToSslPorts('not a stream', process.stdout), TypeError);
  await assert.rejects(o.portsToSslPorts(new PassThrough(), new PassThrough(), { mode: 'sideways' }), RangeError);
  await assert.rejects(o.portsToSslPorts(new PassThrough(), new PassThrough(), { mode: 'accept', alpn: [Buffer.from('h2')] }), (e) => o.isSslError(e));
  await assert.rejects(o.portsToSslPorts(new PassThrough(), new PassThrough(), { mode: 'accept', context: o.sslMakeClientContext() }), TypeError);
  await assert.rejects(o.sslConnect('127.0.0.1', 70000), RangeError);
  await assert.rejects(o.sslAccept({}), TypeError);
  await assert.rejects(o.sslConnect('127.0.0.1', port, o.sslMakeServerContext()), TypeError);
  await assert.rejects(o.sslListen(0, 5, false, null, o.sslMakeClientContext()), TypeError);
  const huge = Array.from({ length: 300 }, () => Buffer.alloc(255, 97));
  await assert.rejects(o.sslConnect('127.0.0.1', port, 'auto', { alpn: huge }), RangeError);
  assert.throws(() => o.sslSetServerAlpn(o.sslMakeServerContext(), huge), RangeError);
  const ctx = o.sslMakeServerContext();
  assert.throws(() => o.sslLoadPrivateKey(ctx, ['data', randomBytes(2000)]), (e) => o.isSslError(e));
  assert.throws(() => o.sslLoadPrivateKey(ctx, ['data', Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')]), (e) => o.isSslError(e));
  assert.throws(() => o.sslMakeServerContext('auto', { privateKey: ['pem-data', Buffer.from('junk')] }), (e) => o.isSslError(e));
  assert.throws(() => o.sslMakeServerContext('auto', { privateKey: ['der', cert('server-rsa.key')] }), (e) => o.isSslError(e));
  assert.throws(() => o.sslLoadCertificateChain(ctx, cert('certs-does-not-exist.pem')), (e) => o.isSslError(e));
  assert.throws(() => o.sslPeerVerified('port'), TypeError);
  assert.throws(() => o.sslAbandonPort(42), TypeError);
});

test('garbage after the handshake: the reading port errors with an SslError, nothing crashes', async () => {
  const sctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  let errors = 0;
  let ends = 0;
  for (let i = 0; i < 300; i++) {
    const c2s = new PassThrough();
    const s2c = new PassThrough();
    const [[sin, sout], [cin, cout]] = await Promise.all([
      o.portsToSslPorts(c2s, s2c, { mode: 'accept', context: sctx }),
      o.portsToSslPorts(s2c, c2s, { mode: 'connect', encrypt: i % 2 ? 'tls12' : 'tls13' }),
    ]);
    const outcome = new Promise((resolve) => {
      sin.once('error', (e) => resolve(o.isSslError(e) ? 'error' : `other: ${e}`));
      sin.once('end', () => resolve('end'));
    });
    sin.resume();
    // A record header with a random type and length, then random bytes, straight into the server's input.
    const junk = randomBytes(5 + (i % 200));
    if (i % 3 === 0) junk.writeUInt16BE(0x0303, 1);
    c2s.write(junk);
    if (i % 5 === 0) c2s.end();
    const r = await Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve('waiting'), 200))]);
    if (r === 'error') errors++;
    else if (r === 'end') ends++;
    else assert.equal(r, 'waiting', `case ${i}: ${r}`); // an incomplete record simply waits for more
    for (const p of [sin, sout, cin, cout]) p.destroy();
  }
  assert.ok(errors > 200, `errors: ${errors}, ends: ${ends}`);
  await collectGarbage();
  assert.equal(o.sslObjectCounts().SSL, 0);
});
