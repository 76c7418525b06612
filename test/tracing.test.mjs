// NODE_DEBUG=openssl-ports tracing, in child processes: handshake steps, the negotiated result,
// alerts and errors go to stderr; key material never does (the key-log lines the same connections
// produced, their secrets, TLS exporter output and the private keys all stay out of the trace).
// Without NODE_DEBUG the library prints nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cert, root, run } from './support/helpers.mjs';

const script = `
import * as o from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
const cert = (n) => ${JSON.stringify(cert('x').slice(0, -1))} + n;
const keylog = [];
const serverCtx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
o.sslSetKeylogger(serverCtx, (line) => keylog.push(line.toString()));
const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
const port = o.sslListenerPort(listener);
const good = o.sslMakeClientContext('auto');
o.sslLoadVerifySource(good, cert('root-ca.pem'));
o.sslSetVerify(good, true);
o.sslSetVerifyHostname(good, true);
o.sslSetKeylogger(good, (line) => keylog.push(line.toString()));
let accepted = o.sslAccept(listener);
const [i, out] = await o.sslConnect('localhost', port, good);
const [si, so] = await accepted;
out.write('hello');
await new Promise((r) => si.once('data', r));
for (const p of [i, out, si, so]) p.destroy();
// a refused one: our client trusts another CA, so it sends an alert
const bad = o.sslMakeClientContext('auto');
o.sslLoadVerifySource(bad, cert('untrusted-ca.pem'));
o.sslSetVerify(bad, true);
accepted = o.sslAccept(listener).catch((e) => e);
await o.sslConnect('localhost', port, bad).catch((e) => e);
await accepted;
await o.sslClose(listener);
process.stdout.write(JSON.stringify({ keylog }));
`;

async function runChild(env) {
  const e = { ...process.env, ...env };
  if (!env.NODE_DEBUG) delete e.NODE_DEBUG;
  delete e.SSLKEYLOGFILE;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: e, timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr.toString());
  return { keylog: JSON.parse(r.stdout.toString()).keylog, stderr: r.stderr.toString() };
}

test('NODE_DEBUG=openssl-ports traces handshake steps, alerts and errors, and never key material', async () => {
  const { keylog, stderr } = await runChild({ NODE_DEBUG: 'openssl-ports' });
  assert.match(stderr, /^OPENSSL-PORTS \d+: sslConnect#\d+ client connection to localhost$/m);
  assert.match(stderr, /sslConnect#\d+ handshake start/);
  assert.match(stderr, /sslConnect#\d+ step: SSLv3\/TLS write client hello/);
  assert.match(stderr, /sslAccept#\d+ step: SSLv3\/TLS read client hello/);
  assert.match(stderr, /sslConnect#\d+ open: TLSv1\.3 TLS_\w+, resumed false, peer certificate ok/);
  assert.match(stderr, /sslConnect#\d+ alert sent: fatal unknown CA/);
  assert.match(stderr, /sslAccept#\d+ alert received: fatal unknown CA/);
  assert.match(stderr, /sslConnect#\d+ error: sslConnect: connect failed \(.*\) \[CERTIFICATE_VERIFY_FAILED UNABLE_TO_GET_ISSUER_CERT_LOCALLY\]/);
  assert.match(stderr, /closed/);

  // the same run produced key-log lines: none of them, nor any secret in them, reached the trace
  assert.ok(keylog.length >= 5, `key log lines were produced: ${keylog.length}`);
  for (const line of keylog) {
    const [label, random, secret] = line.split(' ');
    assert.ok(!stderr.includes(label), `no key-log label ${label} in the trace`);
    assert.ok(!stderr.toLowerCase().includes(random.toLowerCase()), 'no client random in the trace');
    assert.ok(!stderr.toLowerCase().includes(secret.toLowerCase()), 'no secret in the trace');
  }
  assert.doesNotMatch(stderr, /SECRET|CLIENT_RANDOM|master|PRIVATE KEY/i);
  const keyBody = readFileSync(cert('server-rsa.key'), 'latin1').split('\n')[1];
  assert.ok(!stderr.includes(keyBody));
});

test('without NODE_DEBUG (or with another module named) the library traces nothing', async () => {
  assert.equal((await runChild({})).stderr, '');
  const other = (await runChild({ NODE_DEBUG: 'net' })).stderr;
  assert.match(other, /^NET \d+:/m); // NODE_DEBUG works, and names only net
  assert.doesNotMatch(other, /OPENSSL-PORTS/);
});
