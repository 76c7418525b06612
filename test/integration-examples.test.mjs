// The integration examples (examples/fetch-undici.mjs, https-agent.mjs, http2-client.mjs,
// ws-client.mjs, serve-http.mjs), each run as a subprocess against real servers on loopback.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { cert, run, startSServer } from './support/helpers.mjs';

const example = (name) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
const key = readFileSync(cert('server-rsa.key'));
const chain = readFileSync(cert('server-rsa-chain.pem'));
const ca = readFileSync(cert('root-ca.pem'));
const env = () => {
  const e = { ...process.env };
  delete e.SSL_CERT_FILE;
  delete e.SSL_CERT_DIR;
  return e;
};
const node = async (args) => {
  const r = await run(process.execPath, args, { env: env(), timeoutMs: 30000 });
  return { code: r.code, out: r.stdout.toString(), err: r.stderr.toString() };
};

async function h2Server(t) {
  const server = http2.createSecureServer({ key, cert: chain }, (req, res) => res.end(`over HTTP/${req.httpVersion} ${req.url}\n`));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return server;
}

test('fetch-undici.mjs: global fetch through undici and sslUndiciConnect, against openssl s_server -www and an h2-only server', async (t) => {
  const s = await startSServer(['-www', '-cert', cert('server-rsa.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('server-rsa.key')]);
  t.after(s.kill);
  const r = await node([example('fetch-undici.mjs'), `https://localhost:${s.port}/`, cert('root-ca.pem')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^200 \d+ bytes\n$/);
  // An HTTP/2-only server (no HTTP/1 fallback): only a real h2 connection gets an answer.
  const h2 = await h2Server(t);
  const r2 = await node([example('fetch-undici.mjs'), `https://localhost:${h2.address().port}/x`, cert('root-ca.pem')]);
  assert.equal(r2.code, 0, r2.err);
  assert.equal(r2.out, `200 ${'over HTTP/2.0 /x\n'.length} bytes\n`);
  // Without the CA the server is not trusted.
  const bad = await node([example('fetch-undici.mjs'), `https://localhost:${s.port}/`]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /CERTIFICATE_VERIFY_FAILED|certificate verify failed/);
});

test('https-agent.mjs: four requests over two keep-alive connections; the process exits by itself', async (t) => {
  const ports = new Set();
  const server = https.createServer({ key, cert: chain, keepAliveTimeout: 60_000 }, (req, res) => (ports.add(req.socket.remotePort), res.end('ok')));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => (server.closeAllConnections(), server.close()));
  const r = await node([example('https-agent.mjs'), `https://localhost:${server.address().port}/`, cert('root-ca.pem')]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, [1, 2, 3, 4].map((i) => `${i}: 200 TLSv1.3 verified true\n`).join(''));
  assert.equal(ports.size, 2);
});

test('http2-client.mjs: three streams against a node http2 secure server', async (t) => {
  const server = await h2Server(t);
  const r = await node([example('http2-client.mjs'), `https://localhost:${server.address().port}`, cert('root-ca.pem')]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '/a: 200 over HTTP/2.0 /a\n/b: 200 over HTTP/2.0 /b\n/c: 200 over HTTP/2.0 /c\n');
});

test('ws-client.mjs: a message and its echo with a ws server on node:https', async (t) => {
  const server = https.createServer({ key, cert: chain });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo: ${m}`)));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => (wss.close(), server.close()));
  const r = await node([example('ws-client.mjs'), `wss://localhost:${server.address().port}/`, cert('root-ca.pem'), 'hi there']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'received: echo: hi there\n');
});

test('serve-http.mjs: HTTP/1.1, h2 and ws from one listener, then a clean stop on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [example('serve-http.mjs'), '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: env() });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  while (!/listening on \d+\n/.test(out)) {
    assert.equal(child.exitCode, null, out);
    await once(child.stdout, 'data');
  }
  const port = Number(/listening on (\d+)/.exec(out)[1]);
  const d = new Agent({ connect: { ca } });
  assert.equal(await (await fetch(`https://localhost:${port}/`, { dispatcher: d })).text(), 'HTTP/1.1 for 127.0.0.1\n');
  await d.close();
  const session = http2.connect(`https://localhost:${port}`, { ca });
  const req = session.request({ ':path': '/' });
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (x) => (body += x));
  await once(req, 'end');
  assert.equal(body, 'HTTP/2.0 for 127.0.0.1\n');
  const sessionClosed = once(session, 'close');
  session.close();
  const ws = new WebSocket(`wss://localhost:${port}/`, { ca });
  await once(ws, 'open');
  ws.send('hi');
  const [m] = await once(ws, 'message');
  assert.equal(m.toString(), 'echo hi (127.0.0.1)');
  ws.close();
  await once(ws, 'close');
  await sessionClosed;
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, out);
  assert.match(out, /closed\n$/);
});
