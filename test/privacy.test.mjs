import { EventEmitter } from 'node:events';
// A sealed context is sealed: the state of contexts and listeners is private (assigning to the old
// field names changes nothing a connection does), util.inspect shows what a user needs and no pointer,
// and the declarations the package ships carry no internals.
import test from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as o from '../dist/index.js';
import { cert, root } from './support/helpers.mjs';

const OLD_FIELDS = ['ptr', 'sealed', 'verify', 'verifyHostname', 'serverAlpn', 'keylogger', 'sniCallback', 'sessions'];

async function untrustedServer() {
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('bad-untrusted-chain.pem'), privateKey: ['pem', cert('bad-untrusted.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  return { listener, port: o.sslListenerPort(listener) };
}

async function attempt(listener, port, clientCtx) {
  const accepted = o.sslAccept(listener).catch((e) => e);
  const client = await o.sslConnect('localhost', port, clientCtx).catch((e) => e);
  const server = await accepted;
  for (const side of [client, server]) if (Array.isArray(side)) for (const p of side) p.destroy();
  return client;
}

test("assigning to a context's old fields has no effect: a 'secure' client still refuses an untrusted server", async (t) => {
  o.sslDefaultVerifySources([cert('root-ca.pem')]);
  const { listener, port } = await untrustedServer();
  t.after(() => o.sslClose(listener));
  const secure = o.sslSecureClientContext();
  const gerbil = o.defaultClientSslContext();
  const verifying = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(verifying, cert('root-ca.pem'));
  o.sslSetVerify(verifying, true);
  o.sslSealContext(verifying);
  for (const ctx of [secure, gerbil, verifying]) {
    for (const [k, v] of [['verify', 'off'], ['verifyHostname', false], ['sealed', false], ['ptr', 0], ['side', 'server'], ['protocol', 'auto']]) {
      // Contexts are frozen and their state is elsewhere: the assignment throws (strict mode) and changes nothing.
      const before = ctx[k];
      assert.throws(() => {
        ctx[k] = v;
      }, TypeError);
      assert.equal(ctx[k], before);
    }
    assert.equal(o.isSslClientContext(ctx), true);
    const r = await attempt(listener, port, ctx);
    assert.ok(o.isSslError(r), `a verifying context accepted an untrusted server after its fields were assigned: ${r}`);
    assert.match(r.message, /certificate verify failed/);
  }
  // The sealed contexts still refuse changes through the API.
  assert.throws(() => o.sslSetVerify(secure, false), /sealed/);
  assert.throws(() => o.sslSetVerify(verifying, false), /sealed/);
  // And a fresh secure context is the same (cached) object, still verifying.
  assert.equal(o.sslSecureClientContext(), secure);
  assert.match(inspect(secure), /verify: 'require'/);
});

test('contexts and listeners show no internals: Object.keys, symbols, inspect', async (t) => {
  const client = o.sslSecureClientContext();
  const server = o.sslMakeServerContext('tls13');
  for (const ctx of [client, server]) {
    assert.deepEqual(Object.keys(ctx), []);
    assert.deepEqual(Object.getOwnPropertyNames(ctx), []);
    assert.deepEqual(Object.getOwnPropertySymbols(ctx), []);
    for (const f of OLD_FIELDS) assert.equal(ctx[f], undefined, f);
  }
  assert.equal(client.side, 'client');
  assert.equal(server.protocol, 'tls13');
  const shownClient = inspect(client);
  assert.match(shownClient, /^SslContext \{/);
  assert.match(shownClient, /side: 'client'/);
  assert.match(shownClient, /protocol: 'secure'/);
  assert.match(shownClient, /verify: 'require'/);
  assert.match(shownClient, /verifyHostname: true/);
  assert.match(shownClient, /sealed: true/);
  assert.doesNotMatch(shownClient, /ptr|\b\d{6,}\b/);
  assert.match(inspect(server, { breakLength: Infinity }), /side: 'server', protocol: 'tls13', verify: 'off', verifyHostname: false, sealed: false/);
  // The constructor is not a way around the procedures.
  assert.throws(() => new o.SslContext('client', 'auto', 'x'), TypeError);
  assert.equal(o.isSslClientContext(Object.create(o.SslContext.prototype)), false);
  assert.throws(() => o.sslSetVerify(Object.create(o.SslContext.prototype), true), TypeError);

  const l = await o.sslListen(0, 5, false, '127.0.0.1', server);
  t.after(() => o.sslClose(l));
  // A listener is an EventEmitter ('tlsClientError'): only EventEmitter's own bookkeeping is visible.
  const EMITTER_KEYS = Object.keys(new EventEmitter());
  const EMITTER_SYMBOLS = Object.getOwnPropertySymbols(new EventEmitter()).map(String);
  assert.deepEqual(Object.keys(l).filter((k) => !EMITTER_KEYS.includes(k)), []);
  assert.deepEqual(Object.getOwnPropertySymbols(l).map(String).filter((k) => !EMITTER_SYMBOLS.includes(k)), []);
  l.server = 'spoofed'; // not frozen (an EventEmitter adds fields), but nothing internal is a property
  assert.notEqual(o.sslListenerPort(l), undefined);
  const shown = inspect(l);
  assert.match(inspect(l, { breakLength: Infinity }), new RegExp(`^SslListener \\{ address: '127\\.0\\.0\\.1', port: ${o.sslListenerPort(l)}, closed: false`));
  assert.throws(() => new o.SslListener(null, server), TypeError);
  // A listener's context is reachable as before, and a listener still works as a context argument.
  assert.equal(l.context, server);
  o.sslSetVerify(l, false);
  await o.sslClose(l);
  assert.match(inspect(l), /closed: true/);
});

/** The .d.ts files reachable from the package's exports map. */
function publicDeclarations() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const start = Object.values(pkg.exports).map((e) => (typeof e === 'object' ? e.types : null)).filter(Boolean);
  const seen = new Set();
  const todo = start.map((p) => resolve(root, p));
  while (todo.length) {
    const f = todo.pop();
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) todo.push(resolve(dirname(f), m[1].replace(/\.js$/, '.d.ts')));
  }
  return [...seen];
}

test('the shipped declarations carry no internal members of contexts, listeners or ports', () => {
  const files = publicDeclarations();
  assert.ok(files.some((f) => f.endsWith(join('context', 'context.d.ts'))), 'context.d.ts is reachable');
  assert.ok(files.some((f) => f.endsWith(join('entry', 'server.d.ts'))), 'server.d.ts is reachable');
  const offenders = [];
  for (const f of files) {
    // Declarations only: drop comments.
    const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const name of [...OLD_FIELDS, 'assertMutable', 'nextSocket', 'CONTEXT_SLOT', 'ContextState', 'stateOf', 'contextOf', 'server:', 'abandoned', 'OWNER']) {
      const re = new RegExp(`(^|[\\s;{(\\[])${name.replace(/[:]/g, '\\s*:')}\\b`, 'm');
      if (re.test(code)) offenders.push(`${f.slice(root.length)}: ${name}`);
    }
  }
  assert.deepEqual(offenders, []);
  const ctxDecl = readFileSync(join(root, 'dist', 'context', 'context.d.ts'), 'utf8');
  assert.match(ctxDecl, /private constructor\(\);/);
});

test('the shipped declarations are complete without internals (tsc with skipLibCheck off)', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'openssl-ports-dts-'));
  try {
    const config = {
      compilerOptions: {
        target: 'ES2022', lib: ['ES2023', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext',
        strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: publicDeclarations(),
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
