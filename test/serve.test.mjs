// Serving node:http, node:http2 and a ws server from an openssl-ports listener (sslServe), with real
// clients (undici, node:http2, ws, node:tls) on loopback.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { Agent, fetch } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import * as o from '../dist/index.js';
import { cert, h2Get } from './support/helpers.mjs';

const ca = readFileSync(cert('root-ca.pem'));

async function serving(t, serverOptions = {}) {
  const ctx = o.sslMakeServerContext('auto');
  o.sslLoadCertificateChain(ctx, cert('server-rsa-chain.pem'));
  o.sslLoadPrivateKey(ctx, cert('server-rsa.key'));
  o.sslSetServerAlpn(ctx, [Buffer.from('h2'), Buffer.from('http/1.1')]);
  const listener = await o.sslListen(0, 16, true, '127.0.0.1', ctx);
  const seen = [];
  const handler = (req, res) => {
    seen.push({ version: req.httpVersion, remoteAddress: req.socket.remoteAddress, remotePort: req.socket.remotePort, encrypted: req.socket.encrypted });
    res.end(`hello ${req.httpVersion} ${req.socket.remoteAddress}:${req.socket.remotePort}`);
  };
  const server = http.createServer(serverOptions, handler);
  const h2 = http2.createServer(handler);
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => ws.on('message', (m, binary) => ws.send(binary ? m : `echo ${m} from ${req.socket.remoteAddress}`, { binary })));
  const s = o.sslServe(listener, { http: server, http2: h2 });
  t.after(() => (wss.close(), s.close()));
  return { listener, port: o.sslListenerPort(listener), server, h2, serving: s, seen };
}

test('sslServe: HTTP/1.1 keep-alive (undici), h2 (node:http2) and ws from one listener, remoteAddress set', async (t) => {
  const { port, seen } = await serving(t);
  const d = new Agent({ connect: { ca } });
  t.after(() => d.close());
  const texts = [];
  for (let i = 0; i < 5; i++) texts.push(await (await fetch(`https://localhost:${port}/`, { dispatcher: d })).text());
  assert.ok(texts.every((x) => /^hello 1\.1 127\.0\.0\.1:\d+$/.test(x)), texts.join('\n'));
  assert.ok(new Set(seen.map((s) => s.remotePort)).size <= 2, 'keep-alive connections reused');
  assert.ok(seen.every((s) => s.encrypted === true && s.remoteAddress === '127.0.0.1'));
  // h2 with node's own client (node:tls, ALPN h2).
  const session = http2.connect(`https://localhost:${port}`, { ca });
  t.after(() => session.destroy());
  const h2texts = await Promise.all(['/1', '/2', '/3'].map((p) => h2Get(session, p)));
  assert.equal(session.alpnProtocol, 'h2');
  assert.ok(h2texts.every((x) => /^hello 2\.0 127\.0\.0\.1:\d+$/.test(x)), h2texts.join('\n'));
  session.close();
  // ws with its own TLS client.
  const ws = new WebSocket(`wss://localhost:${port}/chat`, { ca });
  await once(ws, 'open');
  ws.send('ping');
  const [m] = await once(ws, 'message');
  assert.equal(m.toString(), 'echo ping from 127.0.0.1');
  const big = Buffer.alloc(200_000, 7);
  ws.send(big);
  const [back] = await once(ws, 'message');
  assert.deepEqual(back, big);
  ws.close();
  await once(ws, 'close');
});

test('sslServe: keepAliveTimeout closes an idle connection (the client sees the server close it)', async (t) => {
  const { port } = await serving(t, { keepAliveTimeout: 300 });
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] });
  t.after(() => socket.destroy());
  await once(socket, 'secureConnect');
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d) => (text += d));
  await once(socket, 'end'); // nothing but the server's keep-alive timer ends the connection
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*hello 1\.1 127\.0\.0\.1/);
});

test('sslServe: server.close() stops the listener and closes idle connections; serving.close() resolves when all are gone', async (t) => {
  const { port, server, serving: s, listener } = await serving(t);
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] });
  await once(socket, 'secureConnect');
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await once(socket, 'data');
  assert.equal(s.sockets.size, 1);
  server.close();
  await once(socket, 'close'); // idle: closed by Node's closeIdleConnections
  await s.close();
  assert.equal(s.sockets.size, 0);
  assert.equal(o.isSslListener(listener) && listener.isClosed, true);
  const refused = netConnect(port, '127.0.0.1');
  const [err] = await once(refused, 'error');
  assert.equal(err.code, 'ECONNREFUSED');
});

test('sslServe: a connection whose ALPN names a server that was not given is closed; argument checks', async (t) => {
  const ctx = o.sslMakeServerContext('auto');
  o.sslLoadCertificateChain(ctx, cert('server-rsa-chain.pem'));
  o.sslLoadPrivateKey(ctx, cert('server-rsa.key'));
  o.sslSetServerAlpn(ctx, [Buffer.from('h2')]);
  const listener = await o.sslListen(0, 4, true, '127.0.0.1', ctx);
  const s = o.sslServe(listener, { http: http.createServer() });
  t.after(() => s.close());
  const socket = tlsConnect({ host: '127.0.0.1', port: o.sslListenerPort(listener), servername: 'localhost', ca, ALPNProtocols: ['h2'] });
  socket.on('error', () => {});
  await once(socket, 'close');
  assert.throws(() => o.sslServe(listener, {}), /give servers\.http/);
  assert.throws(() => o.sslServe(listener, { https: http.createServer() }), /unknown server "https"/);
  assert.throws(() => o.sslServe({}, { http: http.createServer() }), TypeError);
});
