// TLS figures, each measured for openssl-ports and for node:tls with the same certificates and sizes,
// both ends in this process, over loopback.
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import * as o from '../dist/index.js';

const certs = (n) => fileURLToPath(new URL(`../certs/${n}`, import.meta.url));
const pem = (n) => readFileSync(certs(n));
const KEYS = {
  ecdsa: { chain: 'server-ecdsa-chain.pem', key: 'server-ecdsa.key' },
  rsa: { chain: 'server-rsa-chain.pem', key: 'server-rsa.key' },
};
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

export const opensslVersion = () => o.opensslInfo()?.version ?? 'no OpenSSL';

function ourServerCtx(kind = 'ecdsa') {
  return o.sslMakeServerContext('auto', { certificateChain: certs(KEYS[kind].chain), privateKey: ['pem', certs(KEYS[kind].key)] });
}
function ourClientCtx() {
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, certs('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  return ctx;
}
async function ourListener(kind) {
  const l = await o.sslListen(0, 511, true, '127.0.0.1', ourServerCtx(kind));
  return { l, port: o.sslListenerPort(l) };
}
function nodeServer(kind, onConn) {
  return new Promise((resolve) => {
    const s = tls.createServer({ cert: pem(KEYS[kind].chain), key: pem(KEYS[kind].key) }, onConn);
    s.listen(0, '127.0.0.1', () => resolve({ s, port: s.address().port }));
  });
}
const nodeConnect = (port, extra = {}) =>
  new Promise((resolve, reject) => {
    const c = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pem('root-ca.pem'), ...extra }, () => resolve(c));
    c.once('error', reject);
  });

/** Reads exactly n bytes (discarding them) from a Readable. */
function drain(readable, n) {
  return new Promise((resolve, reject) => {
    let got = 0;
    const on = (c) => {
      got += c.length;
      if (got >= n) {
        readable.off('data', on);
        resolve();
      }
    };
    readable.on('data', on);
    readable.once('error', reject);
  });
}
async function pump(writable, total, block) {
  for (let sent = 0; sent < total; sent += block.length) {
    if (!writable.write(block)) await new Promise((r) => writable.once('drain', r));
  }
}

export async function bulkOurs(size) {
  const { l, port } = await ourListener('ecdsa');
  const acc = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('localhost', port, ourClientCtx());
  const [sin, sout] = await acc;
  const block = Buffer.alloc(16384, 7);
  const t0 = process.hrtime.bigint();
  await Promise.all([pump(sout, size, block), drain(cin, size)]);
  const mibs = size / 1048576 / seconds(t0);
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(l);
  return mibs;
}

export async function bulkNode(size) {
  const block = Buffer.alloc(16384, 7);
  let serverSide;
  const { s, port } = await nodeServer('ecdsa', (c) => (serverSide = c));
  const c = await nodeConnect(port);
  while (!serverSide) await new Promise((r) => setImmediate(r));
  const t0 = process.hrtime.bigint();
  await Promise.all([pump(serverSide, size, block), drain(c, size)]);
  const mibs = size / 1048576 / seconds(t0);
  c.destroy();
  serverSide.destroy();
  s.close();
  return mibs;
}

export async function handshakesOurs(kind, n) {
  const { l, port } = await ourListener(kind);
  const ctx = ourClientCtx();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    // A full exchange on both implementations: handshake, the server writes a byte, the client reads it.
    const acc = o.sslAccept(l).then(([sin, sout]) => {
      sout.write('x');
      return [sin, sout];
    });
    const [cin, cout] = await o.sslConnect('localhost', port, ctx, { reuseSession: false });
    await drain(cin, 1);
    for (const p of [cin, cout, ...(await acc)]) p.destroy();
  }
  const rate = n / seconds(t0);
  await o.sslClose(l);
  return rate;
}

export async function handshakesNode(kind, n) {
  const { s, port } = await nodeServer(kind, (c) => {
    c.on('error', () => {});
    c.write('x');
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const c = await nodeConnect(port);
    await drain(c, 1);
    c.destroy();
  }
  const rate = n / seconds(t0);
  s.close();
  return rate;
}

/** `n` round trips of 64 bytes against an echo; resolves round trips per second. */
async function pingPong(readable, writable, n) {
  const msg = Buffer.alloc(64, 1);
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    let left = n;
    readable.on('data', () => {
      if (--left === 0) resolve();
      else writable.write(msg);
    });
    writable.write(msg);
  });
  return n / seconds(t0);
}

export async function pingPongOurs(n) {
  const { l, port } = await ourListener('ecdsa');
  const acc = o.sslAccept(l);
  const [cin, cout] = await o.sslConnect('localhost', port, ourClientCtx());
  const [sin, sout] = await acc;
  sin.on('data', (d) => sout.write(d));
  const rate = await pingPong(cin, cout, n);
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(l);
  return rate;
}

export async function pingPongNode(n) {
  const { s, port } = await nodeServer('ecdsa', (c) => c.on('data', (d) => c.write(d)));
  const c = await nodeConnect(port);
  const rate = await pingPong(c, c, n);
  c.destroy();
  s.close();
  return rate;
}

export async function resumedOurs(n) {
  const { l, port } = await ourListener('ecdsa');
  const ctx = ourClientCtx();
  const one = async () => {
    const acc = o.sslAccept(l);
    const [cin, cout] = await o.sslConnect('localhost', port, ctx);
    const [sin, sout] = await acc;
    sout.write('x');
    await drain(cin, 1);
    const reused = o.sslSessionReused(cin);
    for (const p of [cin, cout, sin, sout]) p.destroy();
    return reused;
  };
  await one();
  let reused = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) reused += (await one()) ? 1 : 0;
  const rate = n / seconds(t0);
  await o.sslClose(l);
  if (reused < n * 0.9) throw new Error(`only ${reused} of ${n} connections resumed`);
  return rate;
}

export async function resumedNode(n) {
  const { s, port } = await nodeServer('ecdsa', (c) => {
    c.on('error', () => {});
    c.write('x');
  });
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
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) reused += (await one()) ? 1 : 0;
  const rate = n / seconds(t0);
  s.close();
  if (reused < n * 0.9) throw new Error(`node: only ${reused} of ${n} connections resumed`);
  return rate;
}

/** An in-memory Duplex pair: what one side writes, the other reads. */
function duplexPair() {
  const a = new Duplex({ read() {}, write(chunk, _e, cb) { b.push(chunk); cb(); }, final(cb) { b.push(null); cb(); } });
  const b = new Duplex({ read() {}, write(chunk, _e, cb) { a.push(chunk); cb(); }, final(cb) { a.push(null); cb(); } });
  return [a, b];
}

export async function streamPairOurs(size) {
  const [a, b] = duplexPair();
  const [[sin, sout], [cin, cout]] = await Promise.all([
    o.portsToSslPorts(b, b, { mode: 'accept', context: ourServerCtx('ecdsa') }),
    o.portsToSslPorts(a, a, { mode: 'connect', context: ourClientCtx(), hostname: 'localhost' }),
  ]);
  const block = Buffer.alloc(16384, 7);
  const t0 = process.hrtime.bigint();
  await Promise.all([pump(sout, size, block), drain(cin, size)]);
  const mibs = size / 1048576 / seconds(t0);
  for (const p of [cin, cout, sin, sout]) p.destroy();
  return mibs;
}

export async function streamPairNode(size) {
  const [a, b] = duplexPair();
  const server = new tls.TLSSocket(b, { isServer: true, cert: pem(KEYS.ecdsa.chain), key: pem(KEYS.ecdsa.key) });
  const client = tls.connect({ socket: a, servername: 'localhost', ca: pem('root-ca.pem') });
  await new Promise((r, j) => {
    client.once('secureConnect', r);
    client.once('error', j);
  });
  const block = Buffer.alloc(16384, 7);
  const t0 = process.hrtime.bigint();
  await Promise.all([pump(server, size, block), drain(client, size)]);
  const mibs = size / 1048576 / seconds(t0);
  client.destroy();
  server.destroy();
  return mibs;
}
