// Clean closes and peers that leave (issue 13), and issue 12's "data silently lost": close_notify on
// request, server sessions that resume against openssl s_client, writes after the transport is gone,
// objects and fds given back, half-close both ways.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import * as tls from 'node:tls';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, collectGarbage, readAll, readExactly, run, sha256, openFds, rsaServerContext, tick, until } from './support/helpers.mjs';

const serverCtx = (protocol = 'auto') => rsaServerContext(o, protocol);
const fds = openFds;

/** s_client three times with one session file: the "New"/"Reused" line of each. */
async function sClientTimes(port, flags, n = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'sess-'));
  const file = join(dir, 'session.pem');
  const seen = [];
  try {
    for (let i = 0; i < n; i++) {
      const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...flags, '-ign_eof', ...(i === 0 ? ['-sess_out', file] : ['-sess_in', file])];
      const r = await run('openssl', args, { input: 'hello\n', timeoutMs: 20_000 });
      const m = /^(New|Reused), TLSv1\.[23]/m.exec(r.stdout.toString());
      seen.push(m ? m[1] : `? ${r.stdout.toString().slice(0, 200)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return seen;
}

for (const [flags, name] of [[['-tls1_2', '-no_ticket'], 'TLS 1.2 (session IDs, the server cache)'], [['-tls1_2'], 'TLS 1.2 (tickets)'], [['-tls1_3'], 'TLS 1.3 (tickets)']]) {
  test(`server sessions resume against openssl s_client, ${name}: New, Reused, Reused (no close_notify sent)`, async () => {
    const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx());
    const port = o.sslListenerPort(l);
    (async () => {
      for await (const [input, output] of l) {
        // Answer one line, then close both ports: the seed's close, no close_notify.
        input.once('data', (d) => {
          output.end(d);
          input.destroy();
        });
      }
    })();
    assert.deepEqual(await sClientTimes(port, flags), ['New', 'Reused', 'Reused']);
    await o.sslClose(l);
  });
}

/** A TCP proxy that records what the server sends. */
async function recordingProxy(port) {
  const fromServer = [];
  const p = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    for (const s of [up, down]) s.on('error', () => {});
    up.on('data', (d) => fromServer.push(d));
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise((r) => p.listen(0, '127.0.0.1', r));
  return { port: p.address().port, records: () => recordTypes(Buffer.concat(fromServer)), close: () => p.close() };
}
function recordTypes(b) {
  const types = [];
  for (let off = 0; off + 5 <= b.length; off += 5 + b.readUInt16BE(off + 3)) types.push(b[off]);
  return types;
}

test("the server answers a client's close_notify with its own when asked to (shutdownOnClose), and not otherwise", async () => {
  for (const shutdownOnClose of [true, false]) {
    const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx('tls12'), { shutdownOnClose });
    const px = await recordingProxy(o.sslListenerPort(l));
    const accepted = o.sslAccept(l);
    const [cin, cout] = await o.sslConnect('127.0.0.1', px.port, 'auto', { shutdownOnClose: true });
    const [sin, sout] = await accepted;
    sin.pipe(sout); // echo; the client's close_notify ends the input, which ends the output
    cout.end('bye'); // sends close_notify after the data
    assert.equal((await readAll(cin)).toString(), 'bye');
    await tick(100);
    const alerts = px.records().filter((t) => t === 21).length; // TLS 1.2: alerts are visible record types
    assert.equal(alerts, shutdownOnClose ? 1 : 0, `shutdownOnClose ${shutdownOnClose}`);
    for (const p of [cin, cout, sin, sout]) p.destroy();
    px.close();
    await o.sslClose(l);
  }
});

test('issue 12: a write after the application ended the transport fails with an SslError (EPIPE), not acknowledged and dropped', async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(l);
  const accepted = o.sslAccept(l);
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const [cin, cout] = await o.portsToSslPorts(socket, socket, { mode: 'connect' });
  const [sin, sout] = await accepted;
  socket.end(); // the application ends the transport's output; the SSL output port is still open
  cout.on('error', () => {});
  const err = await new Promise((resolve) => cout.write(Buffer.alloc(5000, 1), resolve));
  assert.ok(o.isSslError(err), `${err}`);
  assert.equal(err.code, 'EPIPE');
  assert.match(err.message, /^portsToSslPorts: write failed/);
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(l);
});

test('a peer that left: writes fail with an SslError, and the OpenSSL objects and fds are given back', async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(l);
  await collectGarbage();
  const base = fds();
  const accepted = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port);
  const [sin, sout] = await accepted;
  sout.write('hello');
  assert.equal((await readExactly(cin, 5)).toString(), 'hello');
  cin.destroy();
  cout.destroy(); // the client goes away (TCP FIN)
  await readAll(sin); // the server sees the end of the input
  sout.on('error', () => {});
  let err = null;
  for (let i = 0; i < 200 && !err; i++) {
    err = await new Promise((resolve) => sout.write('more', (e) => resolve(e ?? null)));
    await tick(10);
  }
  assert.ok(o.isSslError(err), `a write failed: ${err}`);
  assert.ok(['EPIPE', 'ECONNRESET', 'ERR_SSL_CLOSED'].includes(err.code), err.code);
  await until(() => fds() <= base, 'the fds to be released');
  await collectGarbage();
  assert.equal(o.sslObjectCounts().SSL, 0, 'the SSL objects are freed although the output port was never closed');
  await o.sslClose(l);
});

/** 500 clients that connect, read a 5-byte reply and go away. */
async function churn(port, n = 500) {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const [cin, cout] = await o.sslConnect('127.0.0.1', port);
        assert.equal((await readExactly(cin, 5)).toString(), 'reply');
        cin.destroy();
        cout.destroy();
      }),
    );
  }
}

test("500 clients that leave, against a server that replies with output.end() and never touches the input: nothing held 2 s later", async () => {
  const l = await o.sslListen(0, 511, true, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(l);
  await collectGarbage();
  const base = fds();
  (async () => {
    for await (const [, output] of l) output.end('reply');
  })();
  await churn(port);
  await tick(2000);
  await collectGarbage();
  const counts = o.sslObjectCounts();
  const held = fds() - base;
  console.log(`# (a) 2 s after 500 clients left: SSL ${counts.SSL}, extra fds ${held}`);
  assert.equal(counts.SSL, 0);
  assert.ok(held <= 2, `fds held: ${held}`);
  await o.sslClose(l);
});

const big = randomBytes(1 << 20);

test('half-close: our client sends a request and close_notify; our server reads to the end, then sends 1 MiB, all of it arrives', async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(l);
  const accepted = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port, 'auto', { shutdownOnClose: true });
  const [sin, sout] = await accepted;
  cout.end('request');
  assert.equal((await readAll(sin)).toString(), 'request');
  sout.end(big);
  assert.equal(sha256(await readAll(cin)), sha256(big));
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(l);
});

test('half-close with node:tls (allowHalfOpen): its request, close_notify and FIN, then our 1 MiB response arrives whole', async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx());
  const port = o.sslListenerPort(l);
  const accepted = o.sslAccept(l);
  const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, allowHalfOpen: true });
  await new Promise((r) => client.once('secureConnect', r));
  const [sin, sout] = await accepted;
  client.end('request'); // close_notify and TCP FIN
  assert.equal((await readAll(sin)).toString(), 'request');
  sout.end(big);
  assert.equal(sha256(await readAll(client)), sha256(big));
  client.destroy();
  for (const p of [sin, sout]) p.destroy();
  await o.sslClose(l);
});

test('half-close the other way: our server sends a request and close_notify; node:tls reads to the end and answers 1 MiB, all of it arrives', async () => {
  const l = await o.sslListen(0, 16, true, '127.0.0.1', serverCtx(), { shutdownOnClose: true });
  const port = o.sslListenerPort(l);
  const accepted = o.sslAccept(l);
  const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, allowHalfOpen: true });
  await new Promise((r) => client.once('secureConnect', r));
  const [sin, sout] = await accepted;
  sout.end('request');
  // (Not readAll: for await destroys the socket at the end, and this one still has to answer.)
  const request = [];
  client.on('data', (d) => request.push(d));
  await new Promise((r) => client.once('end', r));
  assert.equal(Buffer.concat(request).toString(), 'request');
  client.end(big);
  assert.equal(sha256(await readAll(sin)), sha256(big));
  client.destroy();
  for (const p of [sin, sout]) p.destroy();
  await o.sslClose(l);
});

test('500 clients that leave, against a server that reads to the end and never ends the output: nothing held 2 s later', async () => {
  const l = await o.sslListen(0, 511, true, '127.0.0.1', serverCtx());
  try {
    const port = o.sslListenerPort(l);
    await collectGarbage();
    const base = fds();
    let ended = 0;
    (async () => {
      for await (const [input, output] of l) {
        (async () => {
          output.write('reply');
          for await (const _ of input);
          ended++;
          // The handler returns without ending the output: the connection is half-open, and the
          // output port is all that could still use it. Once it is dropped, nothing can.
        })();
      }
    })();
    await churn(port);
    await until(() => ended === 500, 'the server to see every end');
    // One client that stays: V8 keeps the accept loop's last value in the suspended frame until the
    // next one arrives (the application's reference, not the library's); this one takes its place.
    const [sin, sout] = await o.sslConnect('127.0.0.1', port);
    assert.equal((await readExactly(sin, 5)).toString(), 'reply');
    await tick(2000);
    await collectGarbage();
    await tick(100);
    await collectGarbage();
    const counts = o.sslObjectCounts();
    const held = fds() - base;
    console.log(`# (b) 2 s after 500 clients left: SSL ${counts.SSL - 2} (besides the staying client's two), extra fds ${held - 2}`);
    assert.equal(counts.SSL, 2, 'only the staying client (both ends) holds SSL objects');
    assert.ok(held <= 4, `fds held: ${held}`);
    sin.destroy();
    sout.destroy();
  } finally {
    await o.sslClose(l);
  }
});
