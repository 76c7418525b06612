// The documentation, run: every example in examples/ as a subprocess against a local server (openssl
// s_server / s_client, node:tls, or the example's own other half), the README's client and server
// snippets, and the API documentation (TypeDoc builds without warnings; every export has an @example).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { TLSSocket, createServer as createTlsServer } from 'node:tls';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as o from '../dist/index.js';
import { cert, freePort, root, run, startSServer, readExactly } from './support/helpers.mjs';

const example = (name) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
const baseEnv = () => {
  const e = { ...process.env };
  delete e.SSLKEYLOGFILE;
  delete e.SSL_CERT_FILE;
  delete e.SSL_CERT_DIR;
  return e;
};

/** Spawns a process that is killed when the test ends, collecting its output. */
function start(t, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: baseEnv(), ...opts });
  t.after(() => child.kill('SIGKILL'));
  const c = { child, text: '' };
  const listeners = new Set();
  const on = (d) => {
    c.text += d.toString('latin1');
    for (const l of listeners) l();
  };
  child.stdout.on('data', on);
  child.stderr.on('data', on);
  c.waitFor = (re, ms = 15000) =>
    new Promise((resolve, reject) => {
      const test = () => (typeof re === 'string' ? c.text.includes(re) : re.test(c.text));
      if (test()) return resolve(c.text);
      const timer = setTimeout(() => (listeners.delete(check), reject(new Error(`timed out waiting for ${re}; got: ${c.text}`))), ms);
      const check = () => {
        if (!test()) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(c.text);
      };
      listeners.add(check);
    });
  c.exited = () => (child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code))));
  return c;
}

/** openssl s_server on the localhost chain (s_server sends only the first certificate of -cert). */
async function sServer(t, args = []) {
  const s = await startSServer(['-cert', cert('server-rsa.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('server-rsa.key'), ...args]);
  t.after(s.kill);
  return s;
}

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'opp-examples-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('https-get.mjs: GET over sslConnect with ALPN against openssl s_server -www, verified', async (t) => {
  const s = await sServer(t, ['-www', '-alpn', 'http/1.1']);
  const url = `https://localhost:${s.port}/`;
  const r = await run(process.execPath, [example('https-get.mjs'), url], { env: { ...baseEnv(), SSL_CERT_FILE: cert('root-ca.pem') } });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), 'HTTP/1.0 200 ok\n');
  assert.equal(r.stderr.toString(), 'tls13, ALPN http/1.1, verified true\n');
  // 'secure' verifies: the test CA is not in the system store.
  const untrusted = await run(process.execPath, [example('https-get.mjs'), url], { env: baseEnv() });
  assert.notEqual(untrusted.code, 0);
  assert.match(untrusted.stderr.toString(), /certificate verify failed/);
});

test('echo-server-sni.mjs: echoes, with the certificate chosen by SNI', async (t) => {
  const server = start(t, process.execPath, [example('echo-server-sni.mjs'), '0']);
  const port = Number(/listening on (\d+)/.exec(await server.waitFor(/listening on \d+\n/))[1]);
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  for (const [name, hostnames] of [
    ['www.example.test', ['example.test', '*.example.test']],
    ['example.test', ['example.test', '*.example.test']],
    ['localhost', ['localhost']],
  ]) {
    // TCP to the address, TLS with the name as SNI (and verified).
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const [input, output] = await o.portsToSslPorts(socket, socket, { mode: 'connect', context: ctx, hostname: name, closeOriginal: true });
    assert.deepEqual(o.sslPeerCertificateHostnames(input), hostnames);
    assert.equal(o.sslPeerVerified(input), true);
    output.write(`echo ${name}?`);
    assert.equal((await readExactly(input, name.length + 6)).toString(), `echo ${name}?`);
    input.destroy();
    output.destroy();
  }
  // openssl s_client as the client.
  const sc = start(t, 'openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'a.example.test', '-CAfile', cert('root-ca.pem'), '-verify_return_error', '-verify_hostname', 'a.example.test', '-quiet']);
  await sc.waitFor('verify return:1');
  sc.child.stdin.write('from s_client\n');
  await sc.waitFor(/verify return:1\nfrom s_client\n/);
  assert.match(sc.text, /depth=0 .*CN = example\.test\nverify return:1\n/);
});

test('starttls.mjs, both halves in one process: plaintext EHLO and STARTTLS, then a verified TLS exchange', async () => {
  const r = await run(process.execPath, [example('starttls.mjs')], { env: baseEnv() });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(
    r.stdout.toString(),
    [
      'S: 220 localhost ESMTP openssl-ports example',
      'S: 250-localhost',
      'S: 250 STARTTLS',
      'S: 220 Ready to start TLS',
      'TLS: tls13, server verified: true',
      'S: 250 you said: EHLO secure',
      'S: 221 Bye',
      '',
    ].join('\n'),
  );
});

test('starttls.mjs server: openssl s_client -starttls smtp upgrades and talks to it', async (t) => {
  const server = start(t, process.execPath, [example('starttls.mjs'), 'server', '0']);
  const port = Number(/listening on (\d+)/.exec(await server.waitFor(/listening on \d+\n/))[1]);
  const sc = start(t, 'openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${port}`, '-CAfile', cert('root-ca.pem'), '-verify_return_error', '-verify_hostname', 'localhost', '-quiet']);
  await sc.waitFor('verify return:1');
  sc.child.stdin.write('NOOP\r\n');
  await sc.waitFor('250 you said: NOOP\r\n');
  sc.child.stdin.write('QUIT\r\n');
  await sc.waitFor('221 Bye');
  assert.match(sc.text, /depth=0 C = US, O = openssl-ports tests, CN = localhost\nverify return:1/);
});

test('starttls.mjs client: against a STARTTLS server written with node:tls', async (t) => {
  const seen = [];
  const key = readFileSync(cert('server-ecdsa.key'));
  const chain = readFileSync(cert('server-ecdsa-chain.pem'));
  const server = createServer((socket) => {
    socket.setEncoding('latin1');
    socket.on('error', () => {});
    socket.write('220 node ESMTP\r\n');
    let buf = '';
    const onData = (d) => {
      buf += d;
      for (let i; (i = buf.indexOf('\r\n')) >= 0; ) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        seen.push(line);
        if (line.startsWith('EHLO')) socket.write('250-node.example\r\n250-SIZE 1000\r\n250 STARTTLS\r\n');
        else if (line === 'STARTTLS') {
          socket.off('data', onData);
          socket.write('220 go ahead\r\n');
          const tls = new TLSSocket(socket, { isServer: true, key, cert: chain });
          tls.setEncoding('latin1');
          tls.on('error', () => {});
          let tbuf = '';
          tls.on('data', (td) => {
            tbuf += td;
            for (let j; (j = tbuf.indexOf('\r\n')) >= 0; ) {
              const cmd = tbuf.slice(0, j);
              tbuf = tbuf.slice(j + 2);
              seen.push(`TLS ${cmd}`);
              if (cmd === 'QUIT') tls.end('221 node says bye\r\n');
              else tls.write(`250 ok ${cmd}\r\n`);
            }
          });
          return;
        }
      }
    };
    socket.on('data', onData);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const r = await run(process.execPath, [example('starttls.mjs'), 'client', `127.0.0.1:${server.address().port}`, cert('root-ca.pem')], { env: baseEnv() });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(
    r.stdout.toString(),
    'S: 220 node ESMTP\nS: 250-node.example\nS: 250-SIZE 1000\nS: 250 STARTTLS\nS: 220 go ahead\nTLS: tls13, server verified: true\nS: 250 ok EHLO secure\nS: 221 node says bye\n',
  );
  assert.deepEqual(seen, ['EHLO client.example', 'STARTTLS', 'TLS EHLO secure', 'TLS QUIT']);
});

const CLIENT_SUBJECT = '/C=US/ST=Racketa/O=openssl-ports tests/CN=client.example.com/emailAddress=client@example.com';

test('mutual-tls.mjs, both halves in one process: both ends verified, names printed', async () => {
  const r = await run(process.execPath, [example('mutual-tls.mjs')], { env: baseEnv() });
  assert.equal(r.code, 0, r.stderr.toString());
  const out = r.stdout.toString();
  assert.ok(out.includes(`server sees client: ${CLIENT_SUBJECT} (verified: true)\n`), out);
  assert.match(out, /client sees server: \/C=US\/O=openssl-ports tests\/CN=localhost \(verified: true\)\n/);
  assert.match(out, /client received: hello, client\.example\.com\n/);
});

test('mutual-tls.mjs server: openssl s_client with the client certificate is greeted, without it refused', async (t) => {
  const server = start(t, process.execPath, [example('mutual-tls.mjs'), 'server', '0']);
  const port = Number(/listening on (\d+)/.exec(await server.waitFor(/listening on \d+\n/))[1]);
  const withCert = await run('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${port}`, '-CAfile', cert('root-ca.pem'), '-verify_return_error', '-cert', cert('client.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('client.key')], { input: '' });
  assert.equal(withCert.stdout.toString(), 'hello, client.example.com\n');
  await server.waitFor(`server sees client: ${CLIENT_SUBJECT} (verified: true)`);
  await run('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${port}`, '-CAfile', cert('root-ca.pem')], { input: '' });
  await server.waitFor(/server refused a client: sslAccept: accept failed \(.*certificate/);
});

test('mutual-tls.mjs client: a node:tls server that requires a client certificate accepts it', async (t) => {
  const seen = [];
  const server = createTlsServer(
    { key: readFileSync(cert('server-rsa.key')), cert: readFileSync(cert('server-rsa-chain.pem')), ca: readFileSync(cert('root-ca.pem')), requestCert: true, rejectUnauthorized: true },
    (socket) => {
      seen.push({ authorized: socket.authorized, cn: socket.getPeerCertificate().subject?.CN });
      socket.end('hello from node:tls\n');
    },
  );
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const r = await run(process.execPath, [example('mutual-tls.mjs'), 'client', `127.0.0.1:${server.address().port}`], { env: baseEnv() });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), 'client sees server: /C=US/O=openssl-ports tests/CN=localhost (verified: true)\nclient received: hello from node:tls\n');
  assert.deepEqual(seen, [{ authorized: true, cn: 'client.example.com' }]);
});

/** Key log lines without comments, sorted, hashed (key material is never printed). */
const keylogDigest = (file) =>
  createHash('sha256')
    .update(readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).sort().join('\n'))
    .digest('hex');

test('keylog.mjs: an NSS key log file, identical to what openssl s_server logs for the same connection', async (t) => {
  const dir = tempDir(t);
  // On its own (a local server in the same process).
  const own = join(dir, 'own.txt');
  const r = await run(process.execPath, [example('keylog.mjs'), own], { env: baseEnv() });
  assert.equal(r.code, 0, r.stderr.toString());
  const lines = readFileSync(own, 'utf8').trim().split('\n');
  assert.equal(lines.length, 5);
  for (const l of lines) assert.match(l, /^(CLIENT|SERVER)_(HANDSHAKE_)?TRAFFIC_SECRET(_0)? [0-9a-f]{64} [0-9a-f]+$|^EXPORTER_SECRET [0-9a-f]{64} [0-9a-f]+$/);
  assert.equal(new Set(lines.map((l) => l.split(' ')[1])).size, 1, 'one client random');

  // Against openssl s_server, which logs the same secrets from its side.
  const serverKeys = join(dir, 'server.txt');
  const clientKeys = join(dir, 'client.txt');
  const s = await sServer(t, ['-keylogfile', serverKeys]);
  const log = { text: '' };
  s.child.stdout.on('data', (d) => (log.text += d));
  const client = start(t, process.execPath, [example('keylog.mjs'), clientKeys, `localhost:${s.port}`, cert('root-ca.pem')]);
  for (let i = 0; !log.text.includes('hello through a logged connection'); i++) {
    assert.ok(i < 750, `s_server never got the line: ${log.text}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  s.child.stdin.write('reply\n');
  assert.equal(await client.exited(), 0, client.text);
  assert.match(client.text, new RegExp(`tls13 connection to localhost:${s.port}; received 6 bytes\\nsession keys appended to ${clientKeys}\\n`));
  assert.equal(keylogDigest(clientKeys), keylogDigest(serverKeys));
});

/** The first ```ts block after a README heading. */
function readmeSnippet(heading) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  assert.ok(at >= 0, `README has no "${heading}"`);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  const code = m[1];
  assert.ok(code.split('\n').length <= 11, `${heading}: at most ten lines`);
  return code.replaceAll("from 'openssl-ports'", `from ${JSON.stringify(pathToFileURL(join(root, 'dist/index.js')).href)}`);
}

test("README: the client in ten lines runs (against openssl s_server, trusting the test CA)", async (t) => {
  const s = await sServer(t, ['-www', '-alpn', 'http/1.1']);
  const code = readmeSnippet('## A client in ten lines').replaceAll("'example.com', 443", `'localhost', ${s.port}`);
  const r = await run(process.execPath, ['--input-type=module', '-e', code], { env: { ...baseEnv(), SSL_CERT_FILE: cert('root-ca.pem') } });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.match(r.stdout.toString(), /^true http\/1\.1\nHTTP\/1\.0 200 ok\r\n/);
});

test('README: the server in ten lines runs (a verifying client gets its echo, and ALPN h2)', async (t) => {
  const port = await freePort();
  const code = readmeSnippet('## A server in ten lines').replaceAll('8443', String(port));
  const server = start(t, process.execPath, ['--input-type=module', '-e', code], { cwd: root });
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  let ports;
  for (let i = 0; !ports; i++) {
    try {
      ports = await o.sslConnect('localhost', port, ctx, { alpn: [Buffer.from('h2')] });
    } catch (e) {
      // Until the snippet listens.
      assert.ok(i < 200 && server.child.exitCode === null && /ECONNREFUSED/.test(e.message), `${e.message}\n${server.text}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const [input, output] = ports;
  assert.equal(o.sslGetAlpnSelected(input)?.toString(), 'h2');
  output.write('echo?');
  assert.equal((await readExactly(input, 5)).toString(), 'echo?');
  input.destroy();
  output.destroy();
});

test('API documentation: TypeDoc builds without warnings, and every export has TSDoc with an @example', async (t) => {
  const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
  if (!existsSync(typedoc)) return t.skip('typedoc is not installed (npm ci installs it)');
  const dir = tempDir(t);
  // typedoc.json has treatWarningsAsErrors: any warning (undocumented export, broken link) fails.
  const r = await run(process.execPath, [typedoc, '--out', join(dir, 'html'), '--json', join(dir, 'api.json')], { timeoutMs: 120000 });
  assert.equal(r.code, 0, r.stdout.toString() + r.stderr.toString());
  assert.doesNotMatch(r.stdout.toString() + r.stderr.toString(), /warning/i);
  const api = JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8'));
  const hasExample = (c) => Boolean(c?.blockTags?.some((tag) => tag.tag === '@example'));
  const missing = [];
  let count = 0;
  for (const mod of api.children) {
    for (const r of mod.children ?? []) {
      if (r.kind === 4194304) continue; // a re-export of something documented elsewhere
      count++;
      if (!hasExample(r.comment) && !(r.signatures ?? []).some((s) => hasExample(s.comment))) missing.push(`${mod.name}: ${r.name}`);
    }
  }
  assert.ok(count > 100, `only ${count} exports found`);
  assert.deepEqual(missing, [], 'exports without an @example');
});

test('line-server.mjs: the README server pattern; a silent client stalls nobody, a failed handshake is reported, close_notify ends the answer', async (t) => {
  const server = start(t, process.execPath, [example('line-server.mjs'), '0']);
  const port = Number(/listening on (\d+)/.exec(await server.waitFor(/listening on \d+\n/))[1]);
  // A client that connects and says nothing, and one that sends garbage.
  const silent = connect(port, '127.0.0.1');
  silent.on('error', () => {});
  t.after(() => silent.destroy());
  const garbage = connect(port, '127.0.0.1', () => garbage.write('GET / HTTP/1.1\r\n\r\n'));
  garbage.on('error', () => {});
  await server.waitFor(/handshake failed from 127\.0\.0\.1:\d+: sslAccept: accept failed/);
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  const [input, output] = await o.sslConnect('localhost', port, ctx, { shutdownOnClose: true });
  output.end('hello\nworld\n');
  const chunks = [];
  for await (const c of input) chunks.push(c);
  assert.equal(Buffer.concat(chunks).toString(), 'HELLO\nWORLD\n');
  assert.equal(silent.destroyed, false, 'the silent client is still waiting: it stalled nobody');
  output.destroy();
});
