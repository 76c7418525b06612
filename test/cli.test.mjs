// The openssl-ports command, driven as a subprocess: demo, info, connect against openssl s_server,
// curl and openssl s_client against serve, sha1/md5 against sha1sum/md5sum, the progress bar on a
// real terminal (script(1)), and one-line errors with exit codes for bad input.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { cert, run, startSServer, waitForOutput } from './support/helpers.mjs';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const ops = (args, opts) => run(process.execPath, [cli, ...args], opts);

test('demo: exits 0 with a handshake report for both ends and session reuse', async () => {
  const r = await ops(['demo']);
  assert.equal(r.code, 0, r.stderr.toString());
  const out = r.stdout.toString();
  assert.match(out, /server received: hello from the client/);
  assert.match(out, /protocol\s+tls13/);
  assert.match(out, /cipher\s+TLS_/);
  assert.match(out, /ALPN\s+demo\/1/);
  assert.match(out, /peer verified\s+true/);
  assert.match(out, /peer subject\s+\/C=US\/O=openssl-ports tests\/CN=localhost/);
  assert.match(out, /tls-exporter\s+[0-9a-f]{64}/);
  assert.match(out, /connection 2[\s\S]*session reused\s+true/);
  assert.equal(r.stderr.toString(), '');
});

test('info reports the OpenSSL in use', async () => {
  const r = await ops(['info']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.toString(), /ssl available:\s+true/);
  assert.match(r.stdout.toString(), /OpenSSL:\s+OpenSSL 3\./);
  assert.match(r.stdout.toString(), /client protocols:.*tls13/);
});

test('connect talks to openssl s_server, verifying with --ca', async () => {
  // s_server sends only the first certificate of -cert: the intermediate goes in -cert_chain.
  const s = await startSServer(['-cert', cert('server-rsa.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('server-rsa.key'), '-alpn', 'x']);
  try {
    const child = spawn(process.execPath, [cli, 'connect', `127.0.0.1:${s.port}`, '--ca', cert('root-ca.pem'), '--servername', 'localhost', '--alpn', 'x'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const report = await waitForOutput(child, /tls-exporter/);
    assert.match(report, /peer verified\s+true/);
    assert.match(report, /ALPN\s+x/);
    child.stdin.write('line from the client\n');
    await waitForOutput(s.child, 'line from the client');
    s.child.stdin.write('line from the server\n');
    await waitForOutput(child, 'line from the server');
    child.kill();
  } finally {
    s.kill();
  }
  // Verification is on by default: the test CA is not trusted without --ca.
  const s2 = await startSServer(['-cert', cert('server-rsa-chain.pem'), '-key', cert('server-rsa.key')]);
  try {
    const r = await ops(['connect', `localhost:${s2.port}`], { input: '' });
    assert.equal(r.code, 1);
    const err = r.stderr.toString().trim().split('\n');
    assert.equal(err.length, 1, 'one line');
    assert.match(err[0], /^openssl-ports: sslConnect: connect failed \(.*certificate verify failed/);
  } finally {
    s2.kill();
  }
});

async function serve(args) {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--once', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = await waitForOutput(child, /listening on [^\n]*:(\d+)\n/);
  return { child, out, port: Number(/listening on [^\n]*:(\d+)\n/.exec(out)[1]) };
}

test('curl and openssl s_client talk to serve', async () => {
  const a = await serve(['--cert', cert('server-rsa-chain.pem'), '--key', cert('server-rsa.key'), '--alpn', 'http/1.1']);
  // curl sends an HTTP request; the echo server sends it back, which curl reads as a (malformed) reply.
  const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{ssl_verify_result} %{http_version}', '--max-time', '5', '--cacert', cert('root-ca.pem'), `https://localhost:${a.port}/`]);
  assert.match(r.stdout.toString(), /^0 /, `curl verified the server: ${r.stdout} ${r.stderr}`);
  a.child.kill();
  const b = await serve([]);
  assert.match(b.out, /warning: serving the bundled test certificate.*no security/);
  const sc = spawn('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${b.port}`, '-CAfile', cert('test.pem')], { stdio: ['pipe', 'pipe', 'pipe'] });
  sc.stdin.write('echo me\n');
  await waitForOutput(sc, 'echo me');
  sc.kill();
  await new Promise((r) => b.child.once('exit', r));
});

test('sha1 and md5 print like sha1sum and md5sum; - reads stdin', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opp-cli-'));
  try {
    const files = [0, 3, 100_000].map((n, i) => {
      const f = join(dir, `f${i}`);
      writeFileSync(f, randomBytes(n));
      return f;
    });
    for (const [cmd, ref] of [
      ['sha1', 'sha1sum'],
      ['md5', 'md5sum'],
    ]) {
      const ours = await ops([cmd, ...files]);
      const theirs = await run(ref, files);
      assert.equal(ours.code, 0);
      assert.equal(ours.stdout.toString(), theirs.stdout.toString());
      const stdin = await ops([cmd, '-'], { input: 'abc' });
      assert.match(stdin.stdout.toString(), cmd === 'sha1' ? /^a9993e364706816aba3e25717850c26c9cd0d89d {2}-\n$/ : /^900150983cd24fb0d6963f7d28e17f72 {2}-\n$/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the progress bar appears only when stderr is a terminal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opp-tty-'));
  try {
    const f = join(dir, 'big');
    writeFileSync(f, randomBytes(4 << 20));
    const env = { ...process.env, OPENSSL_PORTS_PROGRESS_MIN: '1' };
    const piped = await ops(['sha1', f], { env });
    assert.doesNotMatch(piped.stderr.toString(), /%/);
    const tty = await run('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} sha1 ${JSON.stringify(f)}`, '/dev/null'], { env });
    assert.equal(tty.code, 0, tty.stderr.toString());
    assert.match(tty.stdout.toString(), /\[#+\.*\] \d+%/);
    assert.match(tty.stdout.toString(), /[0-9a-f]{40} {2}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('user mistakes: one line on stderr, no stack trace, non-zero exit', async () => {
  const cases = [
    [['frobnicate'], 2, /^openssl-ports: unknown command "frobnicate"/],
    [['sha1', '/no/such/file'], 1, /^openssl-ports: \/no\/such\/file: no such file$/],
    [['sha1'], 2, /^openssl-ports: usage: openssl-ports sha1/],
    [['connect', 'nohostport'], 2, /^openssl-ports: expected HOST:PORT/],
    [['connect', '127.0.0.1:1', '--insecure'], 1, /^openssl-ports: sslConnect: connect failed \(ECONNREFUSED/],
    [['connect', '127.0.0.1:443', '--bogus'], 2, /^openssl-ports: unknown option --bogus/],
    [['serve', '--port', 'x'], 2, /^openssl-ports: --port must be/],
    [['serve', '--cert', cert('nope.pem'), '--key', cert('nope.key')], 1, /^openssl-ports: sslMakeServerContext: /],
  ];
  for (const [args, code, re] of cases) {
    const r = await ops(args, { input: '' });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.toString().trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], re);
    assert.doesNotMatch(r.stderr.toString(), /\n\s+at /);
  }
  const help = await ops(['help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /commands:/);
});
