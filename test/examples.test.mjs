// Every example in examples/ runs against a local server and prints what it should.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as o from '../dist/index.js';
import { cert, run, startSServer, waitForOutput, readExactly } from './support/helpers.mjs';

const example = (name) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));

test('https-get.mjs: GET over sslConnect with ALPN, against openssl s_server -www', async () => {
  const s = await startSServer(['-www', '-cert', cert('server-rsa.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('server-rsa.key'), '-alpn', 'http/1.1']);
  try {
    const r = await run(process.execPath, [example('https-get.mjs'), `https://localhost:${s.port}/`, '--ca', cert('root-ca.pem')]);
    assert.equal(r.code, 0, r.stderr.toString());
    assert.match(r.stdout.toString(), /^HTTP\/1\.0 200 ok/);
    assert.match(r.stderr.toString(), /ALPN: http\/1\.1, tls13/);
  } finally {
    s.kill();
  }
});

test('echo-server-sni.mjs: echoes, with the certificate chosen by SNI', async () => {
  const child = spawn(process.execPath, [example('echo-server-sni.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = Number(/listening on (\d+)/.exec(await waitForOutput(child, /listening on \d+/))[1]);
    for (const [name, hostnames] of [
      ['www.example.test', ['example.test', '*.example.test']],
      ['localhost', ['localhost']],
    ]) {
      const { connect } = await import('node:net');
      const socket = connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const [input, output] = await o.portsToSslPorts(socket, socket, { mode: 'connect', hostname: name, closeOriginal: true });
      assert.deepEqual(o.sslPeerCertificateHostnames(input), hostnames);
      output.write('echo?');
      assert.equal((await readExactly(input, 5)).toString(), 'echo?');
      input.destroy();
      output.destroy();
    }
  } finally {
    child.kill();
  }
});

test('starttls.mjs: plaintext greeting and command, then a verified TLS exchange', async () => {
  const r = await run(process.execPath, [example('starttls.mjs')]);
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), 'S: 220 example ESMTP\nS: 220 go ahead\nTLS: tls13, server verified: true\nS: 250 you said: EHLO secure\n');
});

test('mutual-tls.mjs: both ends verified, names printed', async () => {
  const r = await run(process.execPath, [example('mutual-tls.mjs')]);
  assert.equal(r.code, 0, r.stderr.toString());
  assert.match(r.stdout.toString(), /server sees client: \/C=US\/ST=Racketa\/O=openssl-ports tests\/CN=client\.example\.com\/emailAddress=client@example\.com \(verified: true\)/);
  assert.match(r.stdout.toString(), /client sees server: .*CN=localhost \(verified: true\)/);
});

test('keylog.mjs: an SSLKEYLOGFILE-format file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opp-keylog-'));
  try {
    const file = join(dir, 'keys.txt');
    const r = await run(process.execPath, [example('keylog.mjs'), file]);
    assert.equal(r.code, 0, r.stderr.toString());
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(lines.length >= 5);
    for (const l of lines) assert.match(l, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/);
    assert.ok(lines.some((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0 ')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
