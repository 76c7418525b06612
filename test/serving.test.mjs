// Serving like a real server (issue 13): concurrent handshakes and a slow client that stalls nobody,
// queue hygiene, failed handshakes reported, close_notify on request, sessions that resume on the
// server, peers that leave (writes fail, objects and fds released), half-close both ways; and issue
// 12's "data silently lost" (a write that cannot reach the transport fails).
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import * as tls from 'node:tls';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, collectGarbage, readAll, readExactly, root, run, sha256, openFds, rsaServerContext, tick, until } from './support/helpers.mjs';

const serverCtx = (protocol = 'auto') => rsaServerContext(o, protocol);
const fds = openFds;
const closed = (s) => new Promise((r) => (s.destroyed ? r() : s.once('close', r)));

test('slowloris: 1,000 idle TCP clients do not stall a normal one; fds and memory bounded; the handshake timeout ends them', async () => {
  // In a child: 2,000 sockets in one process need the fd limit raised (hard limit permitting).
  const r = await run('bash', ['-c', `ulimit -n 8192 2>/dev/null || true; [ "$(ulimit -n)" -ge 2200 ] || { echo "ulimit -n $(ulimit -n) too low" >&2; exit 3; }; exec "${process.execPath}" --expose-gc test/support/slowloris-child.mjs`], { timeoutMs: 110_000 });
  assert.equal(r.code, 0, r.stderr.toString());
  const figures = JSON.parse(r.stdout.toString().trim().split('\n').pop());
  assert.equal(figures.idle, 1000);
  console.log(`# slowloris figures: ${JSON.stringify(figures)}`);
});

test('handshakes complete out of order: sslAccept hands out the first to finish; a stalled client is cut off by the timeout', async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx(), { handshakeTimeout: 1500 });
  const port = o.sslListenerPort(l);
  const errors = [];
  l.on('tlsClientError', (e, info) => errors.push([e, info]));
  const stalled = connect(port, '127.0.0.1', () => stalled.write(Buffer.from([0x16, 0x03, 0x01])));
  stalled.on('error', () => {});
  await tick(50);
  const accepted = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port);
  const [sin, sout] = await accepted;
  cout.write('first');
  assert.equal((await readExactly(sin, 5)).toString(), 'first');
  assert.equal(stalled.destroyed, false, 'the stalled client is still waiting');
  await closed(stalled);
  assert.equal(errors.length, 1);
  assert.ok(o.isSslError(errors[0][0]));
  assert.equal(errors[0][0].code, 'ETIMEDOUT');
  assert.equal(errors[0][1].remoteAddress, '127.0.0.1');
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(l);
});

test("failed handshakes: 'tlsClientError' gets them (a waiting sslAccept is not failed); without a listener, only the claiming sslAccept does", async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(l);
  const garbage = () => {
    const s = connect(port, '127.0.0.1', () => s.write(randomBytes(512)));
    s.on('error', () => {});
    return s;
  };
  // No listener: the sslAccept that was waiting for that client fails with its error (the seed's rule).
  const waiting = o.sslAccept(l).catch((e) => e);
  const g1 = garbage();
  const e1 = await waiting;
  assert.ok(o.isSslError(e1));
  assert.match(e1.message, /^sslAccept: accept failed/);
  await closed(g1);
  // With a listener: the error goes there, and the waiting sslAccept gets the next good client.
  const reported = new Promise((resolve) => l.once('tlsClientError', (e, info) => resolve({ e, info })));
  const next = o.sslAccept(l);
  const g2 = garbage();
  const { e, info } = await reported;
  assert.ok(o.isSslError(e));
  assert.equal(info.remoteAddress, '127.0.0.1');
  assert.equal(typeof info.remotePort, 'number');
  const [cin, cout] = await o.sslConnect('127.0.0.1', port);
  const [sin, sout] = await next;
  cout.write('good');
  assert.equal((await readExactly(sin, 4)).toString(), 'good');
  g2.destroy();
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(l);
  // The listener is an EventEmitter that never emits 'error': an unhandled failure cannot crash.
  assert.equal(l.listenerCount('error'), 0);
});

for (const handshakes of ['concurrent', 'in-accept']) {
  test(`queue hygiene (${handshakes}): clients that half-close or reset before sslAccept is called are dropped, not handed to it`, async () => {
    const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx(), { handshakes });
    const port = o.sslListenerPort(l);
    const halfClosed = connect(port, '127.0.0.1', () => halfClosed.end());
    const reset = connect(port, '127.0.0.1', () => setTimeout(() => reset.resetAndDestroy(), 50));
    for (const s of [halfClosed, reset]) s.on('error', () => {});
    // The server lets go of both (the half-closed one sees the server's end).
    await closed(halfClosed);
    await closed(reset);
    await tick(100);
    assert.equal(o.sslListenerAcceptReady(l), false);
    const accepted = o.sslAccept(l);
    const [cin, cout] = await o.sslConnect('127.0.0.1', port);
    const [sin, sout] = await accepted;
    cout.write('mine');
    assert.equal((await readExactly(sin, 4)).toString(), 'mine', 'sslAccept got its own client');
    for (const p of [cin, cout, sin, sout]) p.destroy();
    await o.sslClose(l);
  });
}

test("'in-accept' keeps the seed's sslAccept: one handshake per call, its failure is that call's", async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx(), { handshakes: 'in-accept' });
  const port = o.sslListenerPort(l);
  const quiet = connect(port, '127.0.0.1');
  quiet.on('error', () => {});
  await tick(50);
  // The handshake runs inside sslAccept, with its timeout.
  await assert.rejects(o.sslAccept(l, { timeout: 200 }), (e) => e.code === 'ETIMEDOUT' && /^sslAccept: accept failed \(handshake timed out after 200 ms\)/.test(e.message));
  quiet.destroy();
  await assert.rejects(o.sslListen(0, 1, true, '127.0.0.1', serverCtx(), { handshakes: 'eager' }), RangeError);
  await assert.rejects(o.sslListen(0, 1, true, '127.0.0.1', serverCtx(), { maxHandshakes: 0 }), RangeError);
  await assert.rejects(o.sslListen(0, 1, true, '127.0.0.1', serverCtx(), { backlog: 5 }), TypeError);
  await o.sslClose(l);
});

test('maxHandshakes: connections beyond the limit wait for a free place and are then served', async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx(), { maxHandshakes: 2, handshakeTimeout: 800 });
  const port = o.sslListenerPort(l);
  let failed = 0;
  l.on('tlsClientError', () => failed++);
  const idle = [0, 1].map(() => {
    const s = connect(port, '127.0.0.1', () => s.write(Buffer.from([0x16])));
    s.on('error', () => {});
    return s;
  });
  await tick(100);
  l.handshakeTimeout = 30_000; // for connections from now on (a waiting one's limit runs from its TCP connection)
  const accepted = o.sslAccept(l);
  // This one waits until an idle one times out (a place is free), then completes.
  const started = Date.now();
  const [cin, cout] = await o.sslConnect('127.0.0.1', port, 'auto', { timeout: 10_000 });
  assert.ok(failed >= 1, 'the client was served only after a place was free');
  assert.ok(Date.now() - started >= 500, 'the client waited for the idle ones\' timeout');
  // The other idle one times out too (its timer may fire after the client's handshake on a slow machine).
  await until(() => failed === 2, 'both idle connections timed out');
  const [sin, sout] = await accepted;
  cout.write('ok');
  assert.equal((await readExactly(sin, 2)).toString(), 'ok');
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(l);
});
