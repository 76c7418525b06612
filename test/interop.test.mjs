// Bulk interoperation with the openssl CLI: our client against `openssl s_server`, our server
// against `openssl s_client`, TLS 1.2 and 1.3, RSA and ECDSA; 64 MiB each way, hashed on both sides.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, freePort, hashExactly, writeRandom } from './support/helpers.mjs';

const SIZE = Number(process.env.INTEROP_MIB ?? 64) << 20;
const LEAF = { rsa: ['server-rsa.pem', 'server-rsa.key'], ecdsa: ['server-ecdsa.pem', 'server-ecdsa.key'] };

/** Pipes `total` random bytes into a child's stdin; resolves with their SHA-256. */
async function feedChild(stdin, total) {
  const h = createHash('sha256');
  const block = randomBytes(1 << 20);
  for (let sent = 0; sent < total; sent += block.length) {
    const piece = block.subarray(0, Math.min(block.length, total - sent));
    h.update(piece);
    if (!stdin.write(piece)) await new Promise((r) => stdin.once('drain', r));
  }
  return h.digest('hex');
}

/** Resolves once something listens on `port` (a probe connection that s_server simply drops). */
async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Hashes exactly `total` bytes of a child's stdout. */
function hashChildOut(stdout, total) {
  return hashExactly(stdout, total);
}

for (const version of ['tls12', 'tls13']) {
  for (const key of ['rsa', 'ecdsa']) {
    test(`our client ⇄ openssl s_server, ${version}, ${key}: 64 MiB each way`, async () => {
      const port = await freePort();
      const [leaf, k] = LEAF[key];
      const child = spawn('openssl', ['s_server', '-quiet', '-accept', `127.0.0.1:${port}`, '-cert', cert(leaf), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert(k), version === 'tls13' ? '-tls1_3' : '-tls1_2'], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.on('error', () => {});
      try {
        await waitForPort(port); // s_server -quiet prints nothing when it is ready
        const ctx = o.sslMakeClientContext(version);
        o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
        o.sslSetVerify(ctx, true);
        o.sslSetVerifyHostname(ctx, true);
        const [input, output] = await o.sslConnect('localhost', port, ctx);
        assert.equal(o.sslProtocolVersion(input), version);
        assert.equal(o.sslPeerVerified(input), true);
        assert.ok(o.sslPeerCertificateHostnames(input).includes('localhost'));
        const [sentByUs, receivedByServer, sentByServer, receivedByUs] = await Promise.all([
          writeRandom(output, SIZE),
          hashChildOut(child.stdout, SIZE),
          feedChild(child.stdin, SIZE),
          hashExactly(input, SIZE),
        ]);
        assert.equal(receivedByServer, sentByUs, 'client → s_server');
        assert.equal(receivedByUs, sentByServer, 's_server → client');
        input.destroy();
        output.destroy();
      } finally {
        child.kill('SIGKILL');
      }
    });

    test(`openssl s_client ⇄ our server, ${version}, ${key}: 64 MiB each way`, async () => {
      const [leaf, k] = LEAF[key];
      const ctx = o.sslMakeServerContext(version, { certificateChain: cert(leaf.replace('.pem', '-chain.pem')), privateKey: ['pem', cert(k)] });
      const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
      const accepted = o.sslAccept(listener);
      const child = spawn('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${o.sslListenerPort(listener)}`, version === 'tls13' ? '-tls1_3' : '-tls1_2', '-CAfile', cert('root-ca.pem'), '-verify_return_error', '-verify_hostname', 'localhost'], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.on('error', () => {});
      try {
        const [input, output] = await accepted;
        assert.equal(o.sslProtocolVersion(input), version);
        const [sentByUs, receivedByClient, sentByClient, receivedByUs] = await Promise.all([
          writeRandom(output, SIZE),
          hashChildOut(child.stdout, SIZE),
          feedChild(child.stdin, SIZE),
          hashExactly(input, SIZE),
        ]);
        assert.equal(receivedByClient, sentByUs, 'server → s_client');
        assert.equal(receivedByUs, sentByClient, 's_client → server');
        input.destroy();
        output.destroy();
      } finally {
        child.kill('SIGKILL');
        await o.sslClose(listener);
      }
    });
  }
}
