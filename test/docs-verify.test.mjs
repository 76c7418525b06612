// The documentation teaches verified clients: every TSDoc example that loads trust into a client
// context, the README's verified client and the examples' clients, run against an untrusted server,
// fail; against the trusted one they connect, verified. (On 2fea881 the TSDoc example of
// sslLoadVerifySource, sslMakeClientContext() + sslLoadVerifySource, connected to an untrusted server.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import * as o from '../dist/index.js';
import { cert, root, run } from './support/helpers.mjs';

const DIST = JSON.stringify(pathToFileURL(join(root, 'dist/index.js')).href);
const env = (extra = {}) => {
  const e = { ...process.env, ...extra };
  delete e.SSLKEYLOGFILE;
  if (!extra.SSL_CERT_FILE) delete e.SSL_CERT_FILE;
  delete e.SSL_CERT_DIR;
  return e;
};

async function server(t, chain, key) {
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert(chain), privateKey: ['pem', cert(key)] });
  const l = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  t.after(() => o.sslClose(l));
  (async () => {
    for await (const [input, output] of l) {
      input.on('error', () => {});
      output.on('error', () => {});
      output.end('hello\n');
      input.resume();
    }
  })();
  return o.sslListenerPort(l);
}

/** The ```ts block of the TSDoc comment right before `export (function|interface) name` in a source file. */
function tsdocExample(file, name) {
  const src = readFileSync(join(root, 'src', file), 'utf8');
  const at = src.search(new RegExp(`export (async )?(function|interface) ${name}\\b`));
  assert.ok(at > 0, `${file}: no export ${name}`);
  const comment = src.slice(src.lastIndexOf('/**', at), at);
  const m = /```ts\n([\s\S]*?)```/.exec(comment);
  assert.ok(m, `${file} ${name}: no example`);
  return m[1].replace(/^\s*\* ?/gm, '').replaceAll("from 'openssl-ports'", `from ${DIST}`);
}

/** A snippet that makes `ctx`, followed by a connection to localhost:PORT with it. */
const connectingWith = (snippet) => `${snippet}
import { sslConnect as __connect, sslPeerVerified as __verified } from ${DIST};
const [__in, __out] = await __connect('localhost', Number(process.env.PORT), ctx);
console.log('verified', __verified(__in));
__out.end();
__in.destroy();
`;

const TSDOC = [
  ['context/context.ts', 'sslMakeClientContext', {}],
  ['context/credentials.ts', 'sslLoadVerifySource', {}],
  ['context/credentials.ts', 'LoadVerifySourceOptions', {}],
  ['api/credentials.ts', 'sslLoadVerifyRootCertificates', {}],
  ['context/credentials.ts', 'sslLoadDefaultVerifySources', { SSL_CERT_FILE: cert('root-ca.pem') }],
  ['gerbil.ts', 'makeClientSslContext', { SSL_CERT_FILE: cert('root-ca.pem') }],
];

test('TSDoc examples that load trust into a client context verify: refused by an untrusted server, verified by the trusted one', async (t) => {
  const trusted = await server(t, 'server-rsa-chain.pem', 'server-rsa.key');
  const untrusted = await server(t, 'bad-untrusted-chain.pem', 'bad-untrusted.key');
  for (const [file, name, extra] of TSDOC) {
    const code = connectingWith(tsdocExample(file, name));
    const bad = await run(process.execPath, ['--input-type=module', '-e', code], { env: { ...env(extra), PORT: String(untrusted) } });
    assert.notEqual(bad.code, 0, `${name}'s example connected to an untrusted server: ${bad.stdout}`);
    assert.match(bad.stderr.toString(), /certificate verify failed/, `${name}: ${bad.stderr}`);
    const good = await run(process.execPath, ['--input-type=module', '-e', code], { env: { ...env(extra), PORT: String(trusted) } });
    assert.equal(good.code, 0, `${name}: ${good.stderr}`);
    assert.equal(good.stdout.toString(), 'verified true\n', name);
  }
});

test("README's verified client with its own CA: refused by an untrusted server, verified by the trusted one", async (t) => {
  const trusted = await server(t, 'server-rsa-chain.pem', 'server-rsa.key');
  const untrusted = await server(t, 'bad-untrusted-chain.pem', 'bad-untrusted.key');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf('## A verified client with your own CA');
  assert.ok(at >= 0);
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))[1].replaceAll("from 'openssl-ports'", `from ${DIST}`);
  assert.ok(snippet.split('\n').length <= 11, 'at most ten lines');
  const code = (port) => snippet.replaceAll('8443', String(port));
  const bad = await run(process.execPath, ['--input-type=module', '-e', code(untrusted)], { env: env() });
  assert.notEqual(bad.code, 0, bad.stdout.toString());
  assert.match(bad.stderr.toString(), /certificate verify failed/);
  const good = await run(process.execPath, ['--input-type=module', '-e', code(trusted)], { env: env() });
  assert.equal(good.code, 0, good.stderr.toString());
  assert.equal(good.stdout.toString(), 'true\n');
});

test("the examples' verifying clients refuse an untrusted server (keylog.mjs with a CA, mutual-tls.mjs client)", async (t) => {
  const untrusted = await server(t, 'bad-untrusted-chain.pem', 'bad-untrusted.key');
  const example = (name) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'opp-docs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const args of [
    [example('keylog.mjs'), join(dir, 'keys.txt'), `localhost:${untrusted}`, cert('root-ca.pem')],
    [example('keylog.mjs'), join(dir, 'keys.txt'), `localhost:${untrusted}`], // the default trust store
    [example('mutual-tls.mjs'), 'client', `127.0.0.1:${untrusted}`],
  ]) {
    const r = await run(process.execPath, args, { env: env() });
    assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr.toString(), /certificate verify failed/, args.join(' '));
  }
});
