// Issue 16: the seed rows that did not behave as the seeds (and the reference implementation) say,
// each checked over real loopback TLS with OpenSSL on both ends (or in a child process where the
// row is about the environment the library starts in).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert, run } from './support/helpers.mjs';

const dist = (f) => JSON.stringify(new URL(`../dist/${f}`, import.meta.url).href);

/** Runs an ES module snippet in a child with `env` changes (undefined deletes); resolves its JSON output. */
async function child(script, env = {}) {
  const e = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete e[k];
    else e[k] = v;
  }
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: e });
  assert.equal(r.code, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

// ---- default verify sources (000 §4) ----

test('default verify sources: SSL_CERT_FILE and SSL_CERT_DIR each replace only their own default', async () => {
  const script = `import { sslDefaultVerifySources } from ${dist('index.js')}; console.log(JSON.stringify(sslDefaultVerifySources()));`;
  const none = await child(script, { SSL_CERT_FILE: undefined, SSL_CERT_DIR: undefined });
  // OpenSSL's own defaults come first: its file, then its directory.
  const [defFile, defDir] = none;
  assert.equal(typeof defFile, 'string');
  assert.equal(defDir[0], 'directory');
  const onlyFile = await child(script, { SSL_CERT_FILE: cert('root-ca.pem'), SSL_CERT_DIR: undefined });
  assert.deepEqual(onlyFile, [cert('root-ca.pem'), defDir]);
  const onlyDir = await child(script, { SSL_CERT_FILE: undefined, SSL_CERT_DIR: `${cert('ca-dir')}:/nonexistent-dir` });
  assert.deepEqual(onlyDir, [defFile, ['directory', cert('ca-dir')], ['directory', '/nonexistent-dir']]);
  const both = await child(script, { SSL_CERT_FILE: cert('root-ca.pem'), SSL_CERT_DIR: cert('ca-dir') });
  assert.deepEqual(both, [cert('root-ca.pem'), ['directory', cert('ca-dir')]]);
  // Set but empty: no source of that kind (OpenSSL would try to load '' and fail).
  const emptyFile = await child(script, { SSL_CERT_FILE: '', SSL_CERT_DIR: cert('ca-dir') });
  assert.deepEqual(emptyFile, [['directory', cert('ca-dir')]]);
});

test('default verify sources: with only SSL_CERT_DIR set, a secure client trusts that directory', async () => {
  const script = `
    import * as o from ${dist('index.js')};
    const ctx = o.sslMakeServerContext('auto', { certificateChain: ${JSON.stringify(cert('server-rsa-chain.pem'))}, privateKey: ['pem', ${JSON.stringify(cert('server-rsa.key'))}] });
    const l = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
    const accepted = o.sslAccept(l).catch((e) => e);
    const r = await o.sslConnect('localhost', o.sslListenerPort(l), 'secure').then((p) => { const v = o.sslPeerVerified(p[0]); p[0].destroy(); p[1].destroy(); return v; }, (e) => e.message);
    const s = await accepted; if (Array.isArray(s)) s.forEach((p) => p.destroy());
    await o.sslClose(l);
    console.log(JSON.stringify(r));`;
  assert.equal(await child(script, { SSL_CERT_FILE: undefined, SSL_CERT_DIR: cert('ca-dir') }), true);
});
