// One openssl-ports listener serving HTTP/1.1 (node:http), HTTP/2 (node:http2, chosen by ALPN) and
// WebSockets (ws, on the HTTP/1.1 server's upgrades), with the localhost test certificate.
//   node examples/serve-http.mjs 8443
// Prints "listening on PORT"; each response names the protocol and the client's address.
// Needs ws (npm install ws).
import http from 'node:http';
import http2 from 'node:http2';
import { WebSocketServer } from 'ws';
import { sslListen, sslListenerPort, sslMakeServerContext, sslLoadCertificateChain, sslLoadPrivateKey, sslSetServerAlpn, sslServe } from '../dist/index.js';

const certs = new URL('../certs/', import.meta.url);
const ctx = sslMakeServerContext('auto');
sslLoadCertificateChain(ctx, new URL('server-rsa-chain.pem', certs).pathname);
sslLoadPrivateKey(ctx, new URL('server-rsa.key', certs).pathname);
sslSetServerAlpn(ctx, [Buffer.from('h2'), Buffer.from('http/1.1')]);
const listener = await sslListen(Number(process.argv[2] ?? 8443), 64, true, '127.0.0.1', ctx);

const handler = (req, res) => res.end(`HTTP/${req.httpVersion} for ${req.socket.remoteAddress}\n`);
const server = http.createServer({ keepAliveTimeout: 5_000 }, handler);
new WebSocketServer({ server }).on('connection', (ws, req) => ws.on('message', (m) => ws.send(`echo ${m} (${req.socket.remoteAddress})`)));
const serving = sslServe(listener, { http: server, http2: http2.createServer(handler) });
console.log(`listening on ${sslListenerPort(listener)}`);
// Ctrl-C: stop accepting, let the open connections finish.
process.once('SIGINT', () => server.close());
process.once('SIGTERM', () => server.close());
await new Promise((r) => server.once('close', r));
await serving.close();
console.log('closed');
