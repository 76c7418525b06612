// The openssl-ports command, driven as a subprocess: demo, info, connect against openssl s_server,
// curl and openssl s_client against serve, sha1/md5 against sha1sum/md5sum, the progress bar on a
// real terminal (script(1)), and one-line errors with exit codes for bad input.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { cert, freePort, run, startSServer, waitForOutput } from './support/helpers.mjs';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const ops = (args, opts) => run(process.execPath, [cli, ...args], opts);
/** The environment for a child: ours without SSLKEYLOGFILE, plus `extra`. */
const env = (extra = {}) => {
  const e = { ...process.env };
  delete e.SSLKEYLOGFILE;
  return { ...e, ...extra };
};

/** Spawns the CLI; the child is killed when the test ends. */
function spawnCli(t, args, extraEnv = {}) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: env(extraEnv) });
  t.after(() => child.kill('SIGKILL'));
  return child;
}

/** Starts openssl s_server with the server chain (s_server sends only the first certificate of -cert). */
async function sServer(t, args = []) {
  const s = await startSServer(['-cert', cert('server-rsa.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('server-rsa.key'), ...args]);
  t.after(s.kill);
  return s;
}

/** Collects everything a child writes (stdout and stderr) from now on. */
function capture(child) {
  const c = { text: '' };
  const on = (d) => (c.text += d.toString('latin1'));
  child.stdout.on('data', on);
  child.stderr.on('data', on);
  c.waitFor = (re, ms = 15000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (typeof re === 'string' ? c.text.includes(re) : re.test(c.text)) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          resolve(c.text);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; got: ${c.text}`)), ms);
      if (check()) return;
      child.stdout.on('data', check);
      child.stderr.on('data', check);
    });
  return c;
}

const exited = (child) => (child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code))));

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'opp-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The "name   value" lines of one end's section in a handshake report. */
function section(text, title) {
  const start = text.indexOf(`${title}:\n`);
  assert.ok(start >= 0, `no section ${title} in:\n${text}`);
  const fields = {};
  for (const line of text.slice(start + title.length + 2).split('\n')) {
    const m = /^ {2}(\S+(?: \S+)*?) {2,}(.*)$/.exec(line);
    if (!m) break;
    fields[m[1]] = m[2];
  }
  return fields;
}

/** Key log lines without comments, sorted, hashed (key material is never printed). */
const keylogDigest = (file) =>
  createHash('sha256')
    .update(readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).sort().join('\n'))
    .digest('hex');

test('demo: exits 0 with a handshake report for both ends and session reuse', async () => {
  for (const lib of ['auto', 'node']) {
    const r = await ops(['demo'], { env: env({ OPENSSL_PORTS_LIB: lib }) });
    assert.equal(r.code, 0, r.stderr.toString());
    assert.equal(r.stderr.toString(), '');
    const out = r.stdout.toString();
    if (lib === 'node') assert.match(out, /Node's embedded OpenSSL/);
    const [first, second] = out.split('=== connection 2').map((s, i) => (i === 0 ? s.split('=== connection 1')[1] : s));
    assert.match(first, /server received: hello from the client \(connection 1\)/);
    assert.match(first, /client received: hello from the server \(connection 1\)/);
    for (const [part, reused] of [
      [first, 'false'],
      [second, 'true'],
    ]) {
      const client = section(part, 'client end');
      const server = section(part, 'server end');
      for (const end of [client, server]) {
        assert.equal(end.protocol, 'tls13');
        assert.match(end.cipher, /^TLS_(AES|CHACHA)/);
        assert.equal(end.ALPN, 'demo/1');
        assert.equal(end['peer verified'], 'true');
        assert.equal(end['session reused'], reused);
        assert.match(end['tls-exporter'], /^[0-9a-f]{64}$/);
        assert.equal(end['peer issuer'], '/C=US/O=openssl-ports tests/CN=openssl-ports Test Intermediate CA');
      }
      assert.equal(client['peer subject'], '/C=US/O=openssl-ports tests/CN=localhost');
      assert.equal(client['peer hostnames'], 'localhost');
      assert.equal(server['peer subject'], '/C=US/ST=Racketa/O=openssl-ports tests/CN=client.example.com/emailAddress=client@example.com');
      // Channel bindings: the same on both ends of one connection.
      assert.equal(client['tls-exporter'], server['tls-exporter']);
      assert.equal(client['tls-server-end-point'], server['tls-server-end-point']);
      assert.match(part, /same tls-exporter binding: yes/);
    }
    assert.notEqual(section(first, 'client end')['tls-exporter'], section(second, 'client end')['tls-exporter']);
  }
});

test('info reports the OpenSSL in use, or why there is none', async () => {
  const r = await ops(['info'], { env: env({ OPENSSL_PORTS_LIB: 'system' }) });
  assert.equal(r.code, 0, r.stderr.toString());
  const out = r.stdout.toString();
  assert.match(out, /ssl available:\s+true/);
  assert.match(out, /OpenSSL:\s+OpenSSL 3\./);
  assert.match(out, /source:\s+system library \(libssl/);
  assert.match(out, /client protocols:.*\btls12 tls13\b/);
  assert.match(out, /default verify sources:\s+\S/);
  const withEnv = await ops(['info'], { env: env({ SSL_CERT_FILE: cert('root-ca.pem'), SSL_CERT_DIR: cert('ca-dir') }) });
  assert.match(withEnv.stdout.toString(), new RegExp(`default verify sources:\\s+${cert('root-ca.pem')}, directory:${cert('ca-dir')}\\n`));
  const node = await ops(['info'], { env: env({ OPENSSL_PORTS_LIB: 'node' }) });
  assert.equal(node.code, 0);
  assert.match(node.stdout.toString(), /source:\s+Node's embedded OpenSSL/);
  const none = await ops(['info'], { env: env({ OPENSSL_PORTS_LIB: 'bogus' }) });
  assert.equal(none.code, 1);
  assert.match(none.stdout.toString(), /ssl available:\s+false\nwhy not:\s+OPENSSL_PORTS_LIB must be/);
});

test('connect talks to openssl s_server: --ca, --servername, --alpn, both directions, exits when the server closes', async (t) => {
  const dir = tempDir(t);
  const serverKeys = join(dir, 'server-keys.txt');
  const clientKeys = join(dir, 'client-keys.txt');
  const s = await sServer(t, ['-alpn', 'x', '-keylogfile', serverKeys]);
  const child = spawnCli(t, ['connect', `127.0.0.1:${s.port}`, '--ca', cert('root-ca.pem'), '--servername', 'localhost', '--alpn', 'y,x', '--keylog', clientKeys]);
  const report = section(await waitForOutput(child, /---\n/), `connected to 127.0.0.1:${s.port} as localhost`);
  assert.equal(report['peer verified'], 'true');
  assert.equal(report.ALPN, 'x');
  assert.equal(report.protocol, 'tls13');
  assert.equal(report['peer subject'], '/C=US/O=openssl-ports tests/CN=localhost');
  child.stdin.write('line from the client\n');
  await waitForOutput(s.child, 'line from the client');
  s.child.stdin.write('line from the server\n');
  await waitForOutput(child, 'line from the server');
  s.child.stdin.write('Q\n'); // s_server closes the connection and exits
  assert.equal(await exited(child), 0);
  // The key log: the same secrets as the server's own log, and not readable by others.
  assert.equal(keylogDigest(clientKeys), keylogDigest(serverKeys));
  assert.match(readFileSync(clientKeys, 'utf8'), /^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]{96}$/m);
});

test('connect: --tls12 shows tls-unique, --cert/--key for a server that requires one, SSLKEYLOGFILE', async (t) => {
  const dir = tempDir(t);
  const keys = join(dir, 'keys.txt');
  const s = await sServer(t, ['-Verify', '1', '-verify_return_error', '-CAfile', cert('root-ca.pem')]);
  const serverLog = capture(s.child);
  const child = spawnCli(t, ['connect', `localhost:${s.port}`, '--ca', cert('root-ca.pem'), '--tls12', '--cert', cert('client-chain.pem'), '--key', cert('client.key')], { SSLKEYLOGFILE: keys });
  const report = section(await waitForOutput(child, /---\n/), `connected to localhost:${s.port}`);
  assert.equal(report.protocol, 'tls12');
  assert.match(report['tls-unique'], /^[0-9a-f]{24}$/);
  assert.match(report['tls-exporter'], /^[0-9a-f]{64}$/);
  child.stdin.write('authenticated line\n');
  const out = await serverLog.waitFor('authenticated line');
  assert.match(out, /subject=C = US, ST = Racketa, O = openssl-ports tests, CN = client\.example\.com/);
  s.child.stdin.write('Q\n');
  assert.equal(await exited(child), 0);
  assert.match(readFileSync(keys, 'utf8'), /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
});

test('connect verifies by default: system trust store, hostname; --insecure turns it off', async (t) => {
  const s = await sServer(t, ['-naccept', '10']);
  const target = `127.0.0.1:${s.port}`;
  // The test CA is not in the default trust store.
  const untrusted = await ops(['connect', target], { input: '', env: env() });
  assert.equal(untrusted.code, 1);
  const err = untrusted.stderr.toString().trim().split('\n');
  assert.equal(err.length, 1, 'one line');
  assert.match(err[0], /^openssl-ports: connect failed \(.*certificate verify failed/);
  // SSL_CERT_FILE changes the default trust store.
  // The end of stdin sends close_notify; s_server then closes, and connect exits 0.
  const trusted = await ops(['connect', target, '--quiet'], { input: '', env: env({ SSL_CERT_FILE: cert('root-ca.pem') }) });
  assert.equal(trusted.stderr.toString(), '');
  assert.equal(trusted.code, 0);
  // The certificate is for localhost, not for this name.
  const wrongName = await ops(['connect', target, '--ca', cert('root-ca.pem'), '--servername', 'other.example'], { input: '', env: env() });
  assert.equal(wrongName.code, 1);
  assert.match(wrongName.stderr.toString(), /^openssl-ports: connect failed \(.*(hostname mismatch|certificate verify failed)/);
  assert.equal(wrongName.stderr.toString().trim().split('\n').length, 1);
  // --insecure: connected, and the report says the peer is not verified.
  const insecure = spawnCli(t, ['connect', target, '--insecure']);
  const report = section(await waitForOutput(insecure, /---\n/), `connected to ${target}`);
  assert.equal(report['peer verified'], 'false');
  assert.equal(report['peer subject'], '/C=US/O=openssl-ports tests/CN=localhost');
});

/** Starts `serve --port 0 --once …` and parses the port it prints. */
async function serve(t, args) {
  const child = spawnCli(t, ['serve', '--port', '0', '--once', ...args]);
  const out = await waitForOutput(child, /listening on 127\.0\.0\.1:(\d+)\n/);
  return { child, out, port: Number(/listening on 127\.0\.0\.1:(\d+)\n/.exec(out)[1]) };
}

test('curl talks to serve --stdio: a verified HTTPS request and response', async (t) => {
  const a = await serve(t, ['--stdio', '--cert', cert('server-rsa-chain.pem'), '--key', cert('server-rsa.key'), '--alpn', 'http/1.1']);
  const curl = run('curl', ['-sS', '--max-time', '20', '--cacert', cert('root-ca.pem'), '-w', '\n%{ssl_verify_result} %{http_code}', `https://localhost:${a.port}/hello`]);
  const request = await waitForOutput(a.child, 'GET /hello HTTP/1.1');
  assert.match(request, /ALPN\s+http\/1\.1/);
  const body = 'hello from openssl-ports serve\n';
  a.child.stdin.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  const r = await curl;
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), `${body}\n0 200`);
  assert.equal(await exited(a.child), 0);
});

test('openssl s_client talks to serve: echo on the test certificate; --verify-client', async (t) => {
  const b = await serve(t, []);
  assert.match(b.out, /warning: serving the bundled test certificate.*no security/);
  const sc = spawn('openssl', ['s_client', '-quiet', '-verify_return_error', '-connect', `127.0.0.1:${b.port}`, '-CAfile', cert('test.pem')], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => sc.kill('SIGKILL'));
  sc.stdin.write('echo me\n');
  await waitForOutput(sc, 'echo me');
  sc.stdin.end();
  sc.kill();
  assert.equal(await exited(b.child), 0);

  // --verify-client: a client without a certificate is refused (and the server goes on),
  // a client with one is accepted and named in the report.
  const c = await serve(t, ['--verify-client', cert('root-ca.pem'), '--cert', cert('server-ecdsa-chain.pem'), '--key', cert('server-ecdsa.key')]);
  const serverLog = capture(c.child);
  await run('openssl', ['s_client', '-connect', `127.0.0.1:${c.port}`, '-CAfile', cert('root-ca.pem')], { input: 'x\n' });
  await serverLog.waitFor(/sslAccept: accept failed \(.*certificate/);
  assert.doesNotMatch(serverLog.text, /peer subject/);
  const withCert = spawn('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${c.port}`, '-CAfile', cert('root-ca.pem'), '-cert', cert('client.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('client.key')], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => withCert.kill('SIGKILL'));
  withCert.stdin.write('mutual\n');
  await waitForOutput(withCert, 'mutual');
  withCert.kill();
  assert.equal(await exited(c.child), 0);
  const log = serverLog.text;
  assert.match(log, /peer subject\s+\/C=US\/ST=Racketa\/O=openssl-ports tests\/CN=client\.example\.com/);
  assert.match(log, /peer verified\s+true/);
});

test('connect and serve talk to each other; the end of stdin is a close_notify, so both exit', async (t) => {
  const a = await serve(t, ['--cert', cert('server-ecdsa-chain.pem'), '--key', cert('server-ecdsa.key'), '--alpn', 'echo/1']);
  const data = randomBytes(300_000).toString('base64');
  const r = await ops(['connect', `localhost:${a.port}`, '--ca', cert('root-ca.pem'), '--alpn', 'echo/1'], { input: data, env: env() });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), data);
  const report = section(r.stderr.toString(), `connected to localhost:${a.port}`);
  assert.equal(report.ALPN, 'echo/1');
  assert.equal(report['peer subject'], '/C=US/O=openssl-ports tests/CN=localhost');
  assert.equal(await exited(a.child), 0);
});

test('sha1 and md5 print like sha1sum and md5sum; - reads stdin; a missing file fails alone', async (t) => {
  const dir = tempDir(t);
  const files = [0, 3, 100_000, 3_000_000].map((n, i) => {
    const f = join(dir, `f${i} with space`);
    writeFileSync(f, randomBytes(n));
    return f;
  });
  for (const [cmd, ref] of [
    ['sha1', 'sha1sum'],
    ['md5', 'md5sum'],
  ]) {
    const ours = await ops([cmd, ...files]);
    const theirs = await run(ref, files);
    assert.equal(ours.code, 0, ours.stderr.toString());
    assert.equal(ours.stderr.toString(), '');
    assert.equal(ours.stdout.toString(), theirs.stdout.toString());
    const stdin = await ops([cmd, '-'], { input: 'abc' });
    assert.equal(stdin.stdout.toString(), cmd === 'sha1' ? 'a9993e364706816aba3e25717850c26c9cd0d89d  -\n' : '900150983cd24fb0d6963f7d28e17f72  -\n');
    // Like sha1sum: the other files are still hashed, the missing one is one line, exit 1.
    const missing = join(dir, 'missing');
    const mixed = await ops([cmd, files[1], missing, files[2]]);
    assert.equal(mixed.code, 1);
    assert.equal(mixed.stdout.toString(), (await run(ref, [files[1], files[2]])).stdout.toString());
    assert.equal(mixed.stderr.toString(), `openssl-ports: ${missing}: no such file\n`);
  }
});

test('the progress bar is drawn on stderr only when stderr is a terminal', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'big');
  writeFileSync(f, randomBytes(4 << 20));
  const expected = `${(await run('sha1sum', [f])).stdout.toString().split(' ')[0]}  ${f}\n`;
  const progressEnv = env({ OPENSSL_PORTS_PROGRESS_MIN: String(1 << 20) });
  const sh = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  const cmd = `${sh(process.execPath)} ${sh(cli)} sha1 ${sh(f)}`;

  // Not a terminal: no progress.
  const piped = await ops(['sha1', f], { env: progressEnv });
  assert.equal(piped.stderr.toString(), '');
  assert.equal(piped.stdout.toString(), expected);

  // stderr on a terminal (script(1) gives a pseudo-terminal), stdout to a file: the bar is on the
  // terminal, and stdout holds only the sum.
  const outFile = join(dir, 'out');
  const tty = await run('script', ['-qfec', `${cmd} > ${sh(outFile)}`, '/dev/null'], { env: progressEnv });
  assert.equal(tty.code, 0, tty.stdout.toString());
  assert.match(tty.stdout.toString(), /big \[#+\.*\] \d+%/);
  assert.match(tty.stdout.toString(), /\[#{30}\] 100%/);
  assert.equal(readFileSync(outFile, 'utf8'), expected);

  // stdout on the terminal, stderr to a file: no bar anywhere.
  const errFile = join(dir, 'err');
  const noBar = await run('script', ['-qfec', `${cmd} 2> ${sh(errFile)}`, '/dev/null'], { env: progressEnv });
  assert.equal(noBar.code, 0);
  assert.equal(readFileSync(errFile, 'utf8'), '');
  assert.doesNotMatch(noBar.stdout.toString(), /%/);
  assert.equal(noBar.stdout.toString().replace(/\r\n/g, '\n'), expected);

  // Below the threshold, even on a terminal: no bar.
  const small = await run('script', ['-qfec', `${cmd} > ${sh(outFile)}`, '/dev/null'], { env: env({ OPENSSL_PORTS_PROGRESS_MIN: String(8 << 20) }) });
  assert.equal(small.code, 0);
  assert.doesNotMatch(small.stdout.toString(), /%/);
});

test('user mistakes: one line on stderr, no stack trace, exit 2 for usage and 1 for failures', async (t) => {
  const closed = await freePort();
  const dir = tempDir(t);
  const cases = [
    [['frobnicate'], 2, /^openssl-ports: unknown command "frobnicate"; try "openssl-ports help"$/],
    [['sha1'], 2, /^openssl-ports: usage: openssl-ports sha1 FILE/],
    [['md5', '/no/such/file'], 1, /^openssl-ports: \/no\/such\/file: no such file$/],
    [['sha1', dir], 1, /^openssl-ports: .*: is a directory$/],
    [['demo', 'extra'], 2, /^openssl-ports: demo takes no arguments$/],
    [['connect'], 2, /^openssl-ports: usage: openssl-ports connect HOST:PORT/],
    [['connect', 'nohostport'], 2, /^openssl-ports: expected HOST:PORT, got "nohostport"$/],
    [['connect', 'localhost:99999'], 2, /^openssl-ports: port out of range: 99999$/],
    [['connect', `127.0.0.1:${closed}`], 1, /^openssl-ports: connect failed \(.*ECONNREFUSED/],
    [['connect', '127.0.0.1:443', '--bogus'], 2, /^openssl-ports: unknown option --bogus$/],
    [['connect', '127.0.0.1:443', '--ca'], 2, /^openssl-ports: --ca needs a value$/],
    [['connect', '127.0.0.1:443', '--tls12', '--tls13'], 2, /^openssl-ports: --tls12 and --tls13 exclude each other$/],
    [['connect', '127.0.0.1:443', '--cert', cert('client.pem')], 2, /^openssl-ports: --cert and --key go together$/],
    [['connect', `127.0.0.1:${closed}`, '--ca', join(dir, 'nope.pem')], 1, /^openssl-ports: sslLoadVerifySource: /],
    [['serve', '--port', 'x'], 2, /^openssl-ports: --port must be 0–65535, got "x"$/],
    [['serve', '--echo', '--stdio'], 2, /^openssl-ports: --echo and --stdio exclude each other$/],
    [['serve', '--cert', cert('nope.pem'), '--key', cert('nope.key')], 1, /^openssl-ports: sslMakeServerContext: /],
  ];
  await Promise.all(
    cases.map(async ([args, code, re]) => {
      const r = await ops(args, { input: '', env: env() });
      const what = `${args.join(' ')}: ${r.stderr}`;
      assert.equal(r.code, code, what);
      const lines = r.stderr.toString().trimEnd().split('\n');
      assert.equal(lines.length, 1, what);
      assert.match(lines[0], re);
      assert.doesNotMatch(r.stderr.toString(), /\n\s+at /);
      assert.equal(r.stdout.toString(), '', what);
    }),
  );
  const help = await ops(['help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /^openssl-ports — [\s\S]*commands:[\s\S]*--servername NAME[\s\S]*--verify-client CA/);
  const bare = await ops([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout.toString(), '');
  assert.equal(bare.stderr.toString(), help.stdout.toString());
  assert.ok(existsSync(cli));
});
