// TLS figures, each measured for openssl-ports ("ours") and for node:tls with the same certificates,
// sizes and verification, both ends in this process, over loopback (or an in-memory Duplex pair).
// Every function returns one number (higher is better): MiB/s, handshakes/s or round trips/s.
import tls from 'node:tls';
import * as o from '../dist/index.js';
import { KEYS, certPath, pem, now, seconds, drain, pump, pingPong, duplexPair } from './lib.mjs';

export const opensslVersion = () => o.opensslInfo()?.version ?? 'no OpenSSL';

// ---- ours ----

function ourServerCtx(kind = 'ecdsa') {
  return o.sslMakeServerContext('auto', { certificateChain: certPath(KEYS[kind].chain), privateKey: ['pem', certPath(KEYS[kind].key)] });
}
/** A client context that verifies the server: trusts root-ca.pem and checks the hostname. */
function ourClientCtx() {
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, certPath('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  return ctx;
}
async function ourListener(kind) {
  const l = await o.sslListen(0, 511, true, '127.0.0.1', ourServerCtx(kind));
  return { l, port: o.sslListenerPort(l) };
}
/** A connected pair over loopback: the client's ports and the server's. */
async function ourPair(l, port, ctx = ourClientCtx(), opts = {}) {
  const acc = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('localhost', port, ctx, opts);
  const [sin, sout] = await acc;
  return { cin, cout, sin, sout };
}
const closeAll = (ports) => {
  for (const p of ports) p.destroy();
};

// ---- node:tls ----

function nodeServer(kind, onConn) {
  return new Promise((resolve) => {
    const s = tls.createServer({ cert: pem(KEYS[kind].chain), key: pem(KEYS[kind].key) }, (c) => {
      c.on('error', () => {});
      onConn(c);
    });
    s.sockets = new Set();
    s.on('connection', (socket) => {
      s.sockets.add(socket);
      socket.once('close', () => s.sockets.delete(socket));
    });
    s.listen(0, '127.0.0.1', () => resolve({ s, port: s.address().port }));
  });
}
/** node:tls client verifying the server like ours does (trusts root-ca.pem, checks "localhost"). */
const nodeConnect = (port, extra = {}) =>
  new Promise((resolve, reject) => {
    const c = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pem('root-ca.pem'), ...extra }, () => resolve(c));
    c.once('error', reject);
  });
const closeServer = (s) =>
  new Promise((r) => {
    s.close(() => r());
    for (const socket of s.sockets) socket.destroy();
  });

// ---- bulk: `size` bytes server → client in 16 KiB writes ----

export async function bulkOurs(size) {
  const { l, port } = await ourListener('ecdsa');
  const p = await ourPair(l, port);
  const block = Buffer.alloc(16384, 7);
  const t0 = now();
  await Promise.all([pump(p.sout, size, block), drain(p.cin, size)]);
  const rate = size / 1048576 / seconds(t0);
  closeAll([p.cin, p.cout, p.sin, p.sout]);
  await o.sslClose(l);
  return rate;
}

export async function bulkNode(size) {
  let serverSide = null;
  const { s, port } = await nodeServer('ecdsa', (c) => (serverSide = c));
  const c = await nodeConnect(port);
  while (!serverSide) await new Promise((r) => setImmediate(r));
  const block = Buffer.alloc(16384, 7);
  const t0 = now();
  await Promise.all([pump(serverSide, size, block), drain(c, size)]);
  const rate = size / 1048576 / seconds(t0);
  c.destroy();
  serverSide.destroy();
  await closeServer(s);
  return rate;
}

// ---- full handshakes, verified, no resumption, `n` in sequence ----
// Each is a complete exchange on both implementations: handshake, the server writes a byte, the client
// reads it, both close.

export async function handshakesOurs(kind, n) {
  const { l, port } = await ourListener(kind);
  const ctx = ourClientCtx();
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const acc = o.sslAccept(l).then(([sin, sout]) => {
      sout.write('x');
      return [sin, sout];
    });
    const [cin, cout] = await o.sslConnect('localhost', port, ctx, { reuseSession: false });
    await drain(cin, 1);
    closeAll([cin, cout, ...(await acc)]);
  }
  const rate = n / seconds(t0);
  await o.sslClose(l);
  return rate;
}

export async function handshakesNode(kind, n) {
  const { s, port } = await nodeServer(kind, (c) => c.write('x'));
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const c = await nodeConnect(port); // no `session`: a full handshake every time
    await drain(c, 1);
    c.destroy();
  }
  const rate = n / seconds(t0);
  await closeServer(s);
  return rate;
}

// ---- resumed handshakes (TLS 1.3 tickets), `n` in sequence after one full handshake ----

export async function resumedOurs(n) {
  const { l, port } = await ourListener('ecdsa');
  const ctx = ourClientCtx(); // one client context: it keeps the session (reuseSession defaults to true)
  const one = async () => {
    const p = await ourPair(l, port, ctx);
    p.sout.write('x');
    await drain(p.cin, 1); // reading also takes in the tickets the server sent before the byte
    const reused = o.sslSessionReused(p.cin);
    closeAll([p.cin, p.cout, p.sin, p.sout]);
    return reused;
  };
  await one();
  let reused = 0;
  const t0 = now();
  for (let i = 0; i < n; i++) reused += (await one()) ? 1 : 0;
  const rate = n / seconds(t0);
  await o.sslClose(l);
  if (reused < n * 0.9) throw new Error(`openssl-ports: only ${reused} of ${n} connections resumed`);
  return rate;
}

export async function resumedNode(n) {
  const { s, port } = await nodeServer('ecdsa', (c) => c.write('x'));
  let session;
  const one = async () => {
    const c = await nodeConnect(port, session ? { session } : {});
    c.on('session', (sess) => (session = sess));
    await drain(c, 1);
    const reused = c.isSessionReused();
    c.destroy();
    return reused;
  };
  await one();
  let reused = 0;
  const t0 = now();
  for (let i = 0; i < n; i++) reused += (await one()) ? 1 : 0;
  const rate = n / seconds(t0);
  await closeServer(s);
  if (reused < n * 0.9) throw new Error(`node:tls: only ${reused} of ${n} connections resumed`);
  return rate;
}

// ---- 64-byte ping/pong over one connection ----

export async function pingPongOurs(n) {
  const { l, port } = await ourListener('ecdsa');
  const p = await ourPair(l, port);
  p.sin.on('data', (d) => p.sout.write(d));
  const rate = await pingPong(p.cin, p.cout, n);
  closeAll([p.cin, p.cout, p.sin, p.sout]);
  await o.sslClose(l);
  return rate;
}

export async function pingPongNode(n) {
  const { s, port } = await nodeServer('ecdsa', (c) => c.on('data', (d) => c.write(d)));
  const c = await nodeConnect(port);
  const rate = await pingPong(c, c, n);
  c.destroy();
  await closeServer(s);
  return rate;
}

// ---- stream pair: bulk over an in-memory Duplex pair, server → client ----

export async function streamPairOurs(size) {
  const [a, b] = duplexPair();
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(b, b, { mode: 'accept', context: ourServerCtx('ecdsa') }),
    o.portsToSslPorts(a, a, { mode: 'connect', context: ourClientCtx(), hostname: 'localhost' }),
  ]);
  const block = Buffer.alloc(16384, 7);
  const t0 = now();
  await Promise.all([pump(sout, size, block), drain(cin, size)]);
  const rate = size / 1048576 / seconds(t0);
  closeAll([cin, cout, sin, sout]);
  return rate;
}

export async function streamPairNode(size) {
  const [a, b] = duplexPair();
  const server = new tls.TLSSocket(b, { isServer: true, cert: pem(KEYS.ecdsa.chain), key: pem(KEYS.ecdsa.key) });
  server.on('error', () => {});
  const client = tls.connect({ socket: a, servername: 'localhost', ca: pem('root-ca.pem') });
  await new Promise((resolve, reject) => {
    client.once('secureConnect', resolve);
    client.once('error', reject);
  });
  const block = Buffer.alloc(16384, 7);
  const t0 = now();
  await Promise.all([pump(server, size, block), drain(client, size)]);
  const rate = size / 1048576 / seconds(t0);
  client.destroy();
  server.destroy();
  return rate;
}
