// `openssl-ports serve` as a real server (issue 13): strict ALPN by default (as openssl s_server
// -alpn), --alpn-allow-no-match for the seed's rule, sessions that resume and close_notify answered.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cert, run, waitForOutput } from './support/helpers.mjs';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

async function serve(t, args) {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--cert', cert('server-rsa-chain.pem'), '--key', cert('server-rsa.key'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const out = await waitForOutput(child, /listening on 127\.0\.0\.1:(\d+)\n/);
  return { child, port: Number(/listening on 127\.0\.0\.1:(\d+)\n/.exec(out)[1]), log: () => log };
}

const sClient = (port, args, input = 'hello\n') => run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { input, timeoutMs: 20_000 });

test('serve --alpn refuses a client with no protocol in common (no_application_protocol); --alpn-allow-no-match accepts it', async (t) => {
  const strict = await serve(t, ['--alpn', 'echo/1']);
  const refused = await sClient(strict.port, ['-alpn', 'other/1']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout.toString() + refused.stderr.toString(), /no application protocol/i);
  const agreed = await sClient(strict.port, ['-alpn', 'other/1,echo/1']);
  assert.match(agreed.stdout.toString(), /ALPN protocol: echo\/1/);
  const lax = await serve(t, ['--alpn', 'echo/1', '--alpn-allow-no-match']);
  const accepted = await sClient(lax.port, ['-alpn', 'other/1']);
  assert.equal(accepted.code, 0);
  assert.match(accepted.stdout.toString(), /No ALPN negotiated/);
});

test('serve: TLS 1.2 session-ID resumption against openssl s_client is New, Reused, Reused', async (t) => {
  const s = await serve(t, ['--quiet']);
  const dir = mkdtempSync(join(tmpdir(), 'sess-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 's.pem');
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const r = await sClient(s.port, ['-tls1_2', '-no_ticket', ...(i === 0 ? ['-sess_out', file] : ['-sess_in', file])]);
    const out = r.stdout.toString();
    seen.push(/^(New|Reused), TLSv1\.2/m.exec(out)?.[1] ?? out.slice(0, 300));
  }
  assert.deepEqual(seen, ['New', 'Reused', 'Reused']);
});
