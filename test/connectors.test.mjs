// Connectors: undici's fetch, https.get through SslAgent, http2.connect and a ws client, each over
// openssl-ports TLS, against real servers on loopback (openssl s_server -www, node:https, node:http2, ws).
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Agent, Client, fetch } from 'undici';
import { WebSocketServer, WebSocket } from 'ws';
import * as o from '../dist/index.js';
import { cert, h2Get, root, run, startSServer } from './support/helpers.mjs';

const ca = readFileSync(cert('root-ca.pem'));
const key = readFileSync(cert('server-rsa.key'));
const chain = readFileSync(cert('server-rsa-chain.pem'));
const dist = new URL('../dist/index.js', import.meta.url).href;

/** A node:https server; counts TCP connections and records requests. */
async function httpsServer(t, handler, options = {}) {
  const server = https.createServer({ key, cert: chain, ...options }, handler);
  server.connections = 0;
  server.on('secureConnection', () => server.connections++);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => (server.closeAllConnections(), server.close()));
  return server;
}

const echoInfo = (req, res) => {
  const h = createHash('sha256');
  let n = 0;
  req.on('data', (d) => (h.update(d), (n += d.length)));
  req.on('end', () => res.end(JSON.stringify({ method: req.method, n, sha: h.digest('hex'), port: req.socket.remotePort, version: req.httpVersion })));
};

test('undici fetch with sslUndiciConnect: GET against openssl s_server -www, verified', async (t) => {
  const s = await startSServer(['-www', '-cert', cert('server-rsa.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('server-rsa.key')]);
  t.after(s.kill);
  const dispatcher = new Agent({ connect: o.sslUndiciConnect({ ca }) });
  t.after(() => dispatcher.close());
  const res = await fetch(`https://localhost:${s.port}/`, { dispatcher });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /Ciphers supported in s_server binary/);
});

test('undici fetch: POST 5 MiB arrives whole; 20 requests reuse keep-alive connections (as few as over node:tls)', async (t) => {
  const server = await httpsServer(t, echoInfo);
  const url = `https://localhost:${server.address().port}/`;
  const dispatcher = new Agent({ connect: o.sslUndiciConnect({ ca }) });
  t.after(() => dispatcher.close());
  const body = randomBytes(5 * 1024 * 1024);
  const r = await (await fetch(url, { dispatcher, method: 'POST', body })).json();
  assert.deepEqual([r.method, r.n, r.sha], ['POST', body.length, createHash('sha256').update(body).digest('hex')]);
  // 20 sequential requests: connections are reused; undici alternates between two (fetch resolves
  // before it frees the first), exactly as with its own node:tls connector, checked side by side.
  const distinct = async (connect) => {
    const d = new Agent({ connect });
    const before = server.connections;
    const ports = new Set();
    for (let i = 0; i < 20; i++) ports.add((await (await fetch(url, { dispatcher: d })).json()).port);
    await d.close();
    return [ports.size, server.connections - before];
  };
  const ours = await distinct(o.sslUndiciConnect({ ca }));
  const nodes = await distinct({ ca });
  assert.ok(ours[0] <= 2 && ours[1] <= 2, `20 requests over ${ours[1]} connections`);
  assert.deepEqual(ours, nodes);
});

test('undici fetch with allowH2: HTTP/2 against a node http2 secure server', async (t) => {
  const versions = [];
  const server = http2.createSecureServer({ key, cert: chain }, (req, res) => (versions.push(req.httpVersion), res.end(`h2 ${req.url}`)));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const dispatcher = new Agent({ connect: o.sslUndiciConnect({ ca, allowH2: true }), allowH2: true });
  t.after(() => dispatcher.close());
  const texts = await Promise.all(['/a', '/b', '/c'].map(async (p) => (await fetch(`https://localhost:${server.address().port}${p}`, { dispatcher })).text()));
  assert.deepEqual(texts, ['h2 /a', 'h2 /b', 'h2 /c']);
  assert.deepEqual(versions, ['2.0', '2.0', '2.0']);
});

test('undici fetch: a bad certificate is rejected, with the TLS failure as the cause', async (t) => {
  const server = await httpsServer(t, echoInfo, { key: readFileSync(cert('bad-wrong-host.key')), cert: readFileSync(cert('bad-wrong-host-chain.pem')) });
  const dispatcher = new Agent({ connect: o.sslUndiciConnect({ ca }) });
  t.after(() => dispatcher.close());
  const err = await fetch(`https://localhost:${server.address().port}/`, { dispatcher }).then(() => assert.fail('fetch succeeded'), (e) => e);
  assert.equal(err.cause?.code, 'CERTIFICATE_VERIFY_FAILED');
  assert.ok(o.isSslError(err.cause));
  // The same on a Client, and with the system store (the test CA is not in it).
  const client = new Client(`https://localhost:${server.address().port}`, { connect: o.sslUndiciConnect() });
  t.after(() => client.close());
  await assert.rejects(client.request({ path: '/', method: 'GET' }), (e) => e.code === 'CERTIFICATE_VERIFY_FAILED');
  assert.throws(() => o.sslUndiciConnect({ cert: 'x' }), /option "cert" is not supported/);
  assert.throws(() => o.sslUndiciConnect({ colour: 'x' }), /unknown option "colour"/);
});

test('https.get through SslAgent: parallel requests share maxSockets connections; timeout fires', async (t) => {
  const server = await httpsServer(t, (req, res) => (req.url === '/slow' ? setTimeout(() => res.end('late'), 5000).unref() : echoInfo(req, res)));
  const port = server.address().port;
  const agent = new o.SslAgent({ keepAlive: true, maxSockets: 2, ca });
  t.after(() => agent.destroy());
  const get = (path, options = {}) =>
    new Promise((resolve, reject) => {
      const req = https.get(`https://localhost:${port}${path}`, { agent, ...options }, (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve({ status: res.statusCode, body: s, socket: req.socket }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TEST_TIMEOUT' })));
    });
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => get(`/${i}`)));
  assert.ok(results.every((r) => r.status === 200));
  assert.equal(new Set(results.map((r) => JSON.parse(r.body).port)).size, 2);
  assert.equal(server.connections, 2);
  assert.ok(results[0].socket instanceof o.SslSocket);
  assert.equal(results[0].socket.authorized, true);
  await assert.rejects(get('/slow', { timeout: 200 }), (e) => e.code === 'TEST_TIMEOUT');
  // A request's own TLS options are honoured or refused clearly.
  await assert.rejects(get('/x', { ciphers: 'HIGH' }), /option "ciphers" is not supported/);
});

/** Runs `code` (an ES module) in a child that must exit by itself; returns { code, stdout, stderr, ms }. */
async function child(code, args = []) {
  const started = Date.now();
  const r = await run(process.execPath, ['--input-type=module', '-e', code, ...args], { timeoutMs: 30000 });
  return { ...r, stdout: r.stdout.toString(), stderr: r.stderr.toString(), ms: Date.now() - started };
}

test('SslAgent: the process exits by itself after the last request, though the server keeps the connection open (60 s keep-alive)', async (t) => {
  const server = await httpsServer(t, echoInfo, { keepAliveTimeout: 60_000 });
  const code = `
    import https from 'node:https';
    import { readFileSync } from 'node:fs';
    import { SslAgent } from ${JSON.stringify(dist)};
    const agent = new SslAgent({ keepAlive: true, ca: readFileSync(${JSON.stringify(cert('root-ca.pem'))}) });
    const get = () => new Promise((resolve, reject) => https.get('https://localhost:${server.address().port}/', { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
    await Promise.all([get(), get(), get()]);
    await get();
    console.log('done', Object.values(agent.freeSockets).flat().length);
  `;
  const r = await child(code);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^done [1-9]/, 'idle sockets were kept alive, and still the process exited');
  // The run() limit is 30 s: a process kept alive by the 60 s connection would have been killed.
});

test('SslAgent: destroying the agent with idle and busy sockets raises nothing (no unhandled AbortError)', async (t) => {
  const server = await httpsServer(t, (req, res) => (req.url === '/hang' ? undefined : echoInfo(req, res)));
  const code = `
    import https from 'node:https';
    import { readFileSync } from 'node:fs';
    import { SslAgent } from ${JSON.stringify(dist)};
    process.on('uncaughtException', (e) => { console.log('uncaught', e.name, e.code); process.exit(3); });
    const agent = new SslAgent({ keepAlive: true, ca: readFileSync(${JSON.stringify(cert('root-ca.pem'))}) });
    const url = 'https://localhost:${server.address().port}';
    await new Promise((resolve) => https.get(url + '/', { agent }, (res) => { res.resume(); res.on('end', resolve); }));
    const hanging = https.get(url + '/hang', { agent });
    const failed = new Promise((resolve) => hanging.on('error', (e) => resolve(e.code)));
    await new Promise((r) => hanging.on('finish', r)); // sent on the reused keep-alive socket
    agent.destroy();
    console.log('hanging request:', await failed);
    await new Promise((r) => setTimeout(r, 100));
    console.log('clean');
  `;
  const r = await child(code);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /hanging request: ECONNRESET\nclean\n/);
});

test('http2.connect with sslCreateConnection: ALPN h2, 3 concurrent streams on one session', async (t) => {
  const sessions = [];
  const server = http2.createSecureServer({ key, cert: chain }, (req, res) => setTimeout(() => res.end(`stream ${req.url}`), 50));
  server.on('session', (s) => sessions.push(s));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const sockets = [];
  const createConnection = o.sslCreateConnection({ ca });
  const session = http2.connect(`https://localhost:${server.address().port}`, { createConnection: (...a) => (sockets.push(createConnection(...a)), sockets.at(-1)) });
  t.after(() => session.destroy());
  // (Node's http2 treats a Duplex as connected at once: 'connect' may come before the handshake; requests wait.)
  await once(session, 'connect');
  const pending = ['/1', '/2', '/3'].map((path) => h2Get(session, path));
  assert.deepEqual(await Promise.all(pending), ['stream /1', 'stream /2', 'stream /3']);
  assert.equal(sessions.length, 1);
  assert.equal(sockets.length, 1);
  assert.equal(sockets[0].alpnProtocol, 'h2');
  assert.equal(sockets[0].authorized, true);
  session.close();
  await once(session, 'close');
  // An unverified server: the session fails with the TLS failure.
  const bad = http2.connect(`https://localhost:${server.address().port}`, { createConnection: o.sslCreateConnection() });
  const [err] = await once(bad, 'error');
  assert.equal(err.code, 'CERTIFICATE_VERIFY_FAILED');
  bad.destroy();
});

test('ws client with sslCreateConnection: echo both ways with a ws server on node:https', async (t) => {
  const server = await httpsServer(t, (req, res) => res.end());
  const wss = new WebSocketServer({ server });
  t.after(() => wss.close());
  wss.on('connection', (ws) => {
    ws.send('hello from the server');
    ws.on('message', (m, binary) => ws.send(m, { binary }));
  });
  const ws = new WebSocket(`wss://localhost:${server.address().port}/`, { createConnection: o.sslCreateConnection({ ca }) });
  const messages = [];
  ws.on('message', (m) => messages.push(m));
  await once(ws, 'open');
  ws.send('hello from the client');
  const big = randomBytes(300_000);
  ws.send(big);
  while (messages.length < 3) await once(ws, 'message');
  assert.equal(messages[0].toString(), 'hello from the server');
  assert.equal(messages[1].toString(), 'hello from the client');
  assert.deepEqual(messages[2], big);
  ws.close();
  await once(ws, 'close');
});
