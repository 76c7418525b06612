// TLS figures, each measured for openssl-ports ("ours"), for node:tls at its best (one shared client
// SecureContext, as an Agent keeps; one server SecureContext) and, where one exists, for the physical
// limit: plain TCP through node:net, the same harness. Both ends run in this process; every connection
// goes to the numeric address 127.0.0.1 (no name lookup on either side) and every TLS client verifies
// the chain (root-ca.pem) and the name "localhost" (sent as SNI) in the same way.
// Every function returns one number (higher is better): MiB/s, handshakes/s or round trips/s.
import net from 'node:net';
import tls from 'node:tls';
import * as o from '../dist/index.js';
import { KEYS, certPath, pem, now, seconds, drain, pump, pingPong, duplexPair } from './lib.mjs';

export const opensslVersion = () => o.opensslInfo()?.version ?? 'no OpenSSL';
/** Which OpenSSL openssl-ports loaded in this process (source, version, file). */
export const opensslInfo = () => o.opensslInfo();

const HOST = '127.0.0.1';
const NAME = 'localhost';

// ---- ours ----

const ourServerContexts = {};
function ourServerCtx(kind = 'ecdsa') {
  ourServerContexts[kind] ??= o.sslMakeServerContext('auto', { certificateChain: certPath(KEYS[kind].chain), privateKey: ['pem', certPath(KEYS[kind].key)] });
  return ourServerContexts[kind];
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
  const l = await o.sslListen(0, 511, true, HOST, ourServerCtx(kind));
  return { l, port: o.sslListenerPort(l) };
}
const ourConnect = (port, ctx, opts = {}) => o.sslConnect(HOST, port, ctx, { host: NAME, ...opts });
/** A connected pair over loopback: the client's ports and the server's. */
async function ourPair(l, port, ctx = ourClientCtx(), opts = {}) {
  const acc = o.sslAccept(l);
  const [cin, cout] = await ourConnect(port, ctx, opts);
  const [sin, sout] = await acc;
  return { cin, cout, sin, sout };
}
const closeAll = (ports) => {
  for (const p of ports) p.destroy();
};

// ---- node:tls ----

let nodeClientCtx = null;
/** The one client SecureContext every node:tls connection of the bench shares (an Agent's way). */
const nodeCtx = () => (nodeClientCtx ??= tls.createSecureContext({ ca: pem('root-ca.pem') }));
// (A tls.Server makes one SecureContext from its options and shares it among its connections.)
function nodeServer(kind, onConn) {
  return new Promise((resolve) => {
    const s = tls.createServer({ cert: pem(KEYS[kind].chain), key: pem(KEYS[kind].key) }, (c) => {
      c.on('error', () => {});
      onConn(c);
    });
    trackSockets(s);
    s.listen(0, HOST, () => resolve({ s, port: s.address().port }));
  });
}
/** node:tls client verifying the server like ours does (chain to root-ca.pem, the name "localhost"). */
const nodeConnect = (port, extra = {}) =>
  new Promise((resolve, reject) => {
    const c = tls.connect({ port, host: HOST, servername: NAME, secureContext: nodeCtx(), ...extra }, () => resolve(c));
    c.once('error', reject);
  });
function trackSockets(s) {
  s.sockets = new Set();
  s.on('connection', (socket) => {
    s.sockets.add(socket);
    socket.once('close', () => s.sockets.delete(socket));
  });
}
const closeServer = (s) =>
  new Promise((r) => {
    s.close(() => r());
    for (const socket of s.sockets) socket.destroy();
  });

// ---- plain TCP (the limit) ----

function tcpServer(onConn) {
  return new Promise((resolve) => {
    const s = net.createServer({ noDelay: true }, (c) => {
      c.on('error', () => {});
      c.setNoDelay(true);
      onConn(c);
    });
    trackSockets(s);
    s.listen(0, HOST, () => resolve({ s, port: s.address().port }));
  });
}
const tcpConnect = (port) =>
  new Promise((resolve, reject) => {
    const c = net.connect({ port, host: HOST, noDelay: true }, () => resolve(c));
    c.once('error', reject);
  });
/** A connected plain TCP pair: [client socket, server socket]. */
async function tcpPair(s, port) {
  const got = new Promise((r) => s.once('connection', r));
  const c = await tcpConnect(port);
  return [c, await got];
}

/**
 * Verification check, run once before the figures: each client must refuse a server whose certificate
 * is for another name and one whose chain does not lead to root-ca.pem, so that every figure measures
 * verified connections on both sides.
 */
export async function checkVerification() {
  const bad = [
    { chain: 'bad-wrong-host-chain.pem', key: 'bad-wrong-host.key', what: 'a certificate for another name' },
    { chain: 'bad-untrusted-chain.pem', key: 'bad-untrusted.key', what: 'an untrusted chain' },
  ];
  for (const b of bad) {
    const sctx = o.sslMakeServerContext('auto', { certificateChain: certPath(b.chain), privateKey: ['pem', certPath(b.key)] });
    const l = await o.sslListen(0, 5, true, HOST, sctx);
    const acc = o.sslAccept(l).catch(() => null);
    const ours = await ourConnect(o.sslListenerPort(l), ourClientCtx(), { reuseSession: false }).then(
      (p) => (closeAll(p), true),
      () => false,
    );
    await acc;
    await o.sslClose(l);
    if (ours) throw new Error(`bench: openssl-ports accepted ${b.what}: the figures would not be verified`);
    const s = tls.createServer({ cert: pem(b.chain), key: pem(b.key) }, (c) => c.on('error', () => {}));
    s.on('tlsClientError', () => {});
    trackSockets(s);
    await new Promise((r) => s.listen(0, HOST, r));
    const node = await nodeConnect(s.address().port).then(
      (c) => (c.destroy(), true),
      () => false,
    );
    await closeServer(s);
    if (node) throw new Error(`bench: node:tls accepted ${b.what}: the figures would not be verified`);
  }
}

// ---- bulk: `size` bytes in 16 KiB writes, one direction ----
// `dir` is 's2c' (server writes, client reads) or 'c2s'.

const BLOCK = Buffer.alloc(16384, 7);

async function bulkRun(writer, reader, size) {
  const t0 = now();
  await Promise.all([pump(writer, size, BLOCK), drain(reader, size)]);
  return size / 1048576 / seconds(t0);
}

export async function bulkOurs(size, dir) {
  const { l, port } = await ourListener('ecdsa');
  const p = await ourPair(l, port);
  const rate = dir === 's2c' ? await bulkRun(p.sout, p.cin, size) : await bulkRun(p.cout, p.sin, size);
  closeAll([p.cin, p.cout, p.sin, p.sout]);
  await o.sslClose(l);
  return rate;
}

export async function bulkNode(size, dir) {
  let serverSide = null;
  const { s, port } = await nodeServer('ecdsa', (c) => (serverSide = c));
  const c = await nodeConnect(port);
  while (!serverSide) await new Promise((r) => setImmediate(r));
  const rate = dir === 's2c' ? await bulkRun(serverSide, c, size) : await bulkRun(c, serverSide, size);
  c.destroy();
  serverSide.destroy();
  await closeServer(s);
  return rate;
}

export async function bulkTcp(size, dir) {
  const { s, port } = await tcpServer(() => {});
  const [c, sc] = await tcpPair(s, port);
  const rate = dir === 's2c' ? await bulkRun(sc, c, size) : await bulkRun(c, sc, size);
  c.destroy();
  sc.destroy();
  await closeServer(s);
  return rate;
}

// ---- full handshakes, verified, no resumption: `n` in all, `inFlight` at a time ----
// Each is a complete exchange on both implementations: handshake, the server writes a byte, the client
// reads it, both close.

async function inParallel(n, inFlight, one) {
  let left = n;
  const worker = async () => {
    while (left > 0) {
      left--;
      await one();
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, worker));
  return n / seconds(t0);
}

export async function handshakesOurs(kind, n, inFlight = 1) {
  const { l, port } = await ourListener(kind);
  const ctx = ourClientCtx();
  // The server side accepts continuously (as a server loop does), writes one byte, closes when read.
  let stop = false;
  const serve = async () => {
    while (!stop) {
      let ports;
      try {
        ports = await o.sslAccept(l);
      } catch {
        if (stop) return;
        continue;
      }
      const [sin, sout] = ports;
      sout.write('x');
      sin.on('error', () => {});
      sin.once('close', () => sout.destroy());
      sin.once('end', () => closeAll([sin, sout]));
      sin.resume();
    }
  };
  const servers = Array.from({ length: inFlight }, serve);
  const rate = await inParallel(n, inFlight, async () => {
    const [cin, cout] = await ourConnect(port, ctx, { reuseSession: false });
    await drain(cin, 1);
    closeAll([cin, cout]);
  });
  stop = true;
  await o.sslClose(l);
  await Promise.allSettled(servers);
  return rate;
}

export async function handshakesNode(kind, n, inFlight = 1) {
  const { s, port } = await nodeServer(kind, (c) => c.write('x'));
  const rate = await inParallel(n, inFlight, async () => {
    const c = await nodeConnect(port); // no `session`: a full handshake every time
    await drain(c, 1);
    c.destroy();
  });
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

// ---- 64-byte ping/pong: `n` round trips in all over `conns` connections at once ----

async function pingPongMany(pairs, n) {
  const each = Math.max(1, Math.floor(n / pairs.length));
  const t0 = now();
  await Promise.all(pairs.map(([r, w]) => pingPong(r, w, each)));
  return (each * pairs.length) / seconds(t0);
}

export async function pingPongOurs(n, conns = 1) {
  const { l, port } = await ourListener('ecdsa');
  const ctx = ourClientCtx();
  const ps = [];
  for (let i = 0; i < conns; i++) {
    const p = await ourPair(l, port, ctx);
    p.sin.on('data', (d) => p.sout.write(d));
    ps.push(p);
  }
  const rate = await pingPongMany(ps.map((p) => [p.cin, p.cout]), n);
  for (const p of ps) closeAll([p.cin, p.cout, p.sin, p.sout]);
  await o.sslClose(l);
  return rate;
}

export async function pingPongNode(n, conns = 1) {
  const { s, port } = await nodeServer('ecdsa', (c) => c.on('data', (d) => c.write(d)));
  const cs = [];
  for (let i = 0; i < conns; i++) cs.push(await nodeConnect(port));
  const rate = await pingPongMany(cs.map((c) => [c, c]), n);
  for (const c of cs) c.destroy();
  await closeServer(s);
  return rate;
}

export async function pingPongTcp(n, conns = 1) {
  const { s, port } = await tcpServer((c) => c.on('data', (d) => c.write(d)));
  const cs = [];
  for (let i = 0; i < conns; i++) cs.push(await tcpConnect(port));
  const rate = await pingPongMany(cs.map((c) => [c, c]), n);
  for (const c of cs) c.destroy();
  await closeServer(s);
  return rate;
}

// ---- stream pair: bulk over an in-memory Duplex pair, server → client ----

export async function streamPairOurs(size) {
  const [a, b] = duplexPair();
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(b, b, { mode: 'accept', context: ourServerCtx('ecdsa') }),
    o.portsToSslPorts(a, a, { mode: 'connect', context: ourClientCtx(), hostname: NAME }),
  ]);
  const rate = await bulkRun(sout, cin, size);
  closeAll([cin, cout, sin, sout]);
  return rate;
}

let nodeStreamCtx = null;
const nodeServerStreamCtx = () => (nodeStreamCtx ??= tls.createSecureContext({ cert: pem(KEYS.ecdsa.chain), key: pem(KEYS.ecdsa.key) }));

export async function streamPairNode(size) {
  const [a, b] = duplexPair();
  const server = new tls.TLSSocket(b, { isServer: true, secureContext: nodeServerStreamCtx() });
  server.on('error', () => {});
  const client = tls.connect({ socket: a, servername: NAME, secureContext: nodeCtx() });
  await new Promise((resolve, reject) => {
    client.once('secureConnect', resolve);
    client.once('error', reject);
  });
  const rate = await bulkRun(server, client, size);
  client.destroy();
  server.destroy();
  return rate;
}

/** The limit of the stream pair: the same bytes through the bare Duplex pair, no TLS. */
export async function streamPairPlain(size) {
  const [a, b] = duplexPair();
  const rate = await bulkRun(b, a, size);
  a.destroy();
  b.destroy();
  return rate;
}
