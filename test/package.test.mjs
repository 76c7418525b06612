// The package as a user gets it: `npm pack`, then installed into a scratch project in a temp dir.
// The tarball ships no CA private keys, no symbolic links (the hashed CA directory is regular files),
// source maps with their sources, and examples/. The installed package runs a verified connection
// trusting its shipped ['directory', certs/ca-dir] from ESM and from CommonJS `require`, every subpath,
// an example, `npx openssl-ports info`, and type-checks for TypeScript users (strict, `types: []`,
// nodenext and bundler resolution; TS 5.9 and, when npm has it, TS 7's native preview).
// And when koffi's native module cannot load (`node --experimental-permission`), importing any entry
// point still works: sslAvailable is false with the reason, TLS calls throw an SslError with a stable
// code, and sha1/md5 fall back to pure JavaScript.
// The install may use the registry (typescript, @types/node, the package's own dependencies): it
// prefers the npm cache, is bounded in time, and the test skips with a message only when the registry
// cannot be reached.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync, lstatSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { root, run } from './support/helpers.mjs';


const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const NETWORK = /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network|offline|timed out/i;
const ENTRY_POINTS = ['openssl-ports', 'openssl-ports/sha1', 'openssl-ports/md5', 'openssl-ports/libcrypto', 'openssl-ports/libssl', 'openssl-ports/legacy'];

/** Node, without the permission model's warning on stderr. */
const node = (args, opts) => run(process.execPath, ['--no-warnings', ...args], { timeoutMs: 60000, ...opts });

test('without koffi (node --experimental-permission) every entry point imports; TLS throws SslError ERR_SSL_NOT_AVAILABLE; hashes fall back', async () => {
  const dist = (f) => JSON.stringify(new URL(`../dist/${f}`, import.meta.url).href);
  const script = `
    const out = {};
    for (const f of ['index.js', 'sha1.js', 'md5.js', 'libcrypto.js', 'libssl.js', 'legacy.js']) {
      try { await import(new URL(f, ${dist('')})); out[f] = 'ok'; } catch (e) { out[f] = 'threw ' + e.message; }
    }
    const o = await import(${dist('index.js')});
    const { sha1, sha1Bytes } = await import(${dist('sha1.js')});
    const { md5 } = await import(${dist('md5.js')});
    const { libcrypto, libcryptoLoadFailReason } = await import(${dist('libcrypto.js')});
    const { legacyLoaded } = await import(${dist('legacy.js')});
    const errs = [];
    for (const call of [() => o.sslMakeClientContext(), () => o.sslMakeServerContext(), () => o.sslConnect('localhost', 443), () => o.sslListen(0), () => o.sslSecureClientContext()]) {
      try { await call(); errs.push('no error'); } catch (e) { errs.push([e.name, e instanceof o.SslError, o.isSslError(e), e.code, e.message]); }
    }
    console.log(JSON.stringify({ out, available: o.sslAvailable, reason: o.sslLoadFailReason, errs, info: o.opensslInfo(),
      sha1: await sha1(Buffer.from('abc')), sha1Bytes: (await sha1Bytes(new Uint8Array([97, 98, 99]))).toString('hex'), md5: await md5(Buffer.from('abc')),
      libcrypto, libcryptoLoadFailReason, legacyLoaded }));`;
  const r = await node(['--experimental-permission', '--allow-fs-read=*', '--input-type=module', '-e', script]);
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(r.signal ?? null, null);
  const res = JSON.parse(r.stdout.toString());
  for (const [f, v] of Object.entries(res.out)) assert.equal(v, 'ok', f);
  assert.equal(res.available, false);
  assert.match(res.reason, /^koffi's native module cannot be loaded: /);
  assert.equal(res.info, null);
  assert.equal(res.errs.length, 5);
  for (const e of res.errs) {
    assert.ok(Array.isArray(e), `a TLS call must throw: ${e}`);
    const [name, isClass, isSsl, code, message] = e;
    assert.equal(name, 'SslError');
    assert.ok(isClass && isSsl);
    assert.equal(code, 'ERR_SSL_NOT_AVAILABLE');
    assert.match(message, /^ssl\w+: OpenSSL is not available \(koffi's native module cannot be loaded/);
  }
  const sha = (alg, s) => createHash(alg).update(s).digest('hex');
  assert.equal(res.sha1, sha('sha1', 'abc'));
  assert.equal(res.sha1Bytes, sha('sha1', 'abc'));
  assert.equal(res.md5, sha('md5', 'abc'));
  assert.equal(res.libcrypto, null);
  assert.match(res.libcryptoLoadFailReason, /koffi/);
  assert.equal(res.legacyLoaded, false);
});

/** npm pack into a temp dir; resolves { tarball, files, size, dir }. */
async function pack(t) {
  const dir = mkdtempSync(join(tmpdir(), 'openssl-ports-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await run(npm, ['pack', '--json', '--pack-destination', dir], { timeoutMs: 120000, env: { ...process.env, npm_config_loglevel: 'error' } });
  assert.equal(r.code, 0, r.stderr.toString());
  const [info] = JSON.parse(r.stdout.toString());
  return { tarball: join(dir, info.filename), files: info.files.map((f) => f.path), size: info.size, dir };
}

test('the packed tarball: no CA private keys, no links, examples, source maps that carry their sources', async (t) => {
  const { tarball, files, size, dir } = await pack(t);
  assert.ok(size > 0);
  const keys = files.filter((f) => f.endsWith('.key'));
  assert.ok(!keys.some((f) => /-ca\.key$/.test(f)), `no CA key: ${keys}`);
  for (const ca of ['root-ca.key', 'intermediate-ca.key', 'untrusted-ca.key']) assert.ok(!files.includes(`certs/${ca}`));
  // what the CLI's demo and serve use is there (and documented as public in certs/README.md)
  for (const f of ['certs/test.pem', 'certs/server-rsa-chain.pem', 'certs/server-rsa.key', 'certs/client-chain.pem', 'certs/client.key', 'certs/root-ca.pem', 'certs/README.md']) {
    assert.ok(files.includes(f), f);
  }
  assert.match(readFileSync(join(root, 'certs/README.md'), 'utf8'), /Every key here is public/);
  for (const f of readdirSync(join(root, 'examples'))) assert.ok(files.includes(`examples/${f}`), `examples/${f} ships`);
  // the hashed CA directory: regular files named by hash, in the tarball
  assert.ok(files.includes('certs/ca-dir/d38ac0d7.0') && files.includes('certs/ca-dir/3bfc2d48.0'), files.filter((f) => f.includes('ca-dir')).join(' '));
  const listing = await run('tar', ['-tvzf', tarball], { timeoutMs: 30000 });
  assert.equal(listing.code, 0);
  assert.doesNotMatch(listing.stdout.toString(), /^l/m, 'no symbolic links in the tarball');
  // source maps: each one carries the sources it names (src/ is not shipped)
  const unpacked = join(dir, 'x');
  await run('mkdir', ['-p', unpacked]);
  assert.equal((await run('tar', ['-xzf', tarball, '-C', unpacked], { timeoutMs: 30000 })).code, 0);
  const maps = files.filter((f) => f.endsWith('.map'));
  assert.ok(maps.length > 10);
  assert.ok(!files.some((f) => f.startsWith('src/')));
  for (const m of maps) {
    const map = JSON.parse(readFileSync(join(unpacked, 'package', m), 'utf8'));
    assert.equal(map.sourcesContent?.length, map.sources.length, `${m} carries its sources`);
    assert.ok(map.sourcesContent.every((s) => typeof s === 'string' && s.length > 0), m);
  }
  // every .d.ts entry point declares its need of @types/node, and the package declares the peer
  const pkg = JSON.parse(readFileSync(join(unpacked, 'package/package.json'), 'utf8'));
  assert.ok(pkg.peerDependencies?.['@types/node']);
  for (const [sub, e] of Object.entries(pkg.exports)) {
    if (typeof e === 'string') continue;
    assert.match(readFileSync(join(unpacked, 'package', e.types), 'utf8'), /^\/\/\/ <reference types="node" preserve="true" \/>/, `${sub}: ${e.types}`);
  }
  t.diagnostic(`tarball ${size} bytes, ${files.length} files`);
});

const esmApp = `
import * as o from 'openssl-ports';
import { sha1 } from 'openssl-ports/sha1';
import { md5 } from 'openssl-ports/md5';
import { libcrypto } from 'openssl-ports/libcrypto';
import { libssl } from 'openssl-ports/libssl';
import { legacyLoaded } from 'openssl-ports/legacy';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
const certs = join(dirname(createRequire(import.meta.url).resolve('openssl-ports/package.json')), 'certs');
const serverCtx = o.sslMakeServerContext('auto', { certificateChain: join(certs, 'server-rsa-chain.pem'), privateKey: ['pem', join(certs, 'server-rsa.key')] });
const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
async function attempt(source) {
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, source);
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  const accepted = o.sslAccept(listener).catch((e) => e);
  const client = await o.sslConnect('localhost', o.sslListenerPort(listener), ctx).catch((e) => e);
  const server = await accepted;
  if (!Array.isArray(client)) { if (Array.isArray(server)) server.forEach((p) => p.destroy()); return { error: client.code }; }
  client[1].write('ping');
  const echoed = await new Promise((r) => server[0].once('data', (d) => r(d.toString())));
  const verified = o.sslPeerVerified(client[0]);
  [...client, ...server].forEach((p) => p.destroy());
  return { verified, echoed };
}
const viaDir = await attempt(['directory', join(certs, 'ca-dir')]);
const viaOther = await attempt(join(certs, 'untrusted-ca.pem'));
await o.sslClose(listener);
console.log(JSON.stringify({ viaDir, viaOther, sha1: await sha1(Buffer.from('abc')), md5: await md5(Buffer.from('abc')),
  libcrypto: libcrypto !== null, libssl: libssl !== null, legacy: typeof legacyLoaded }));
`;

const cjsApp = `
const o = require('openssl-ports');
const { sha1 } = require('openssl-ports/sha1');
const { md5 } = require('openssl-ports/md5');
const { libcrypto } = require('openssl-ports/libcrypto');
const { libssl } = require('openssl-ports/libssl');
require('openssl-ports/legacy');
const { join, dirname } = require('node:path');
const certs = join(dirname(require.resolve('openssl-ports/package.json')), 'certs');
(async () => {
  const serverCtx = o.sslMakeServerContext('auto', { certificateChain: join(certs, 'server-ecdsa-chain.pem'), privateKey: ['pem', join(certs, 'server-ecdsa.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, ['directory', join(certs, 'ca-dir')]);
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  const accepted = o.sslAccept(listener);
  const [i, out] = await o.sslConnect('localhost', o.sslListenerPort(listener), ctx);
  const [si, so] = await accepted;
  const verified = o.sslPeerVerified(i);
  for (const p of [i, out, si, so]) p.destroy();
  await o.sslClose(listener);
  console.log(JSON.stringify({ verified, sha1: await sha1(Buffer.from('abc')), md5: await md5(Buffer.from('abc')), libcrypto: libcrypto !== null, libssl: libssl !== null }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const tsApp = `
import {
  sslMakeClientContext, sslMakeServerContext, sslLoadVerifySource, sslSetVerify, sslConnect, isSslError,
  sslPeerVerified, type SslPorts, type CertificateSource, type VerifySource,
} from 'openssl-ports';
import { sha1, bytesToHexString } from 'openssl-ports/sha1';
import { md5 } from 'openssl-ports/md5';
import { libcrypto } from 'openssl-ports/libcrypto';
import { libssl } from 'openssl-ports/libssl';
import 'openssl-ports/legacy';

const chain: CertificateSource = ['pem-data', 'PEM text'];
const source: VerifySource = ['directory', 'certs/ca-dir'];
export async function main(): Promise<string> {
  const server = sslMakeServerContext('auto', { certificateChain: chain, privateKey: ['der-data', new Uint8Array(1)] });
  const ctx = sslMakeClientContext('auto');
  sslLoadVerifySource(ctx, source);
  sslLoadVerifySource(ctx, ['pem-data', new Uint8Array(0)]);
  sslSetVerify(ctx, true);
  try {
    const [input, output]: SslPorts = await sslConnect('localhost', 443, ctx);
    output.end();
    return String(sslPeerVerified(input)) + String(server.side);
  } catch (e) {
    if (isSslError(e)) return (e.verifyCode ?? e.code ?? '') + e.status;
    throw e;
  }
}
export const digests: Promise<string>[] = [sha1(new Uint8Array([1])), md5(new Uint8Array(0))];
export const hex: string = bytesToHexString(new Uint8Array([255]));
export const loaded: boolean = libcrypto !== null && libssl !== null;
`;

const tsconfig = (resolution) =>
  JSON.stringify({
    compilerOptions: {
      strict: true,
      target: 'es2022',
      module: resolution === 'nodenext' ? 'nodenext' : 'esnext',
      moduleResolution: resolution,
      types: [],
      noEmit: true,
      skipLibCheck: false,
    },
    files: ['app.mts'],
  });

test('installed from the tarball into a fresh project: ESM, require, TypeScript (nodenext, bundler), npx openssl-ports info, an example', async (t) => {
  const { tarball, files, size } = await pack(t);
  const proj = mkdtempSync(join(tmpdir(), 'openssl-ports-user-'));
  t.after(() => rmSync(proj, { recursive: true, force: true }));
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
  const env = { ...process.env, npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
  const install = async (specs, timeoutMs = 240000) => {
    try {
      return await run(npm, ['install', '--prefer-offline', '--no-package-lock', ...specs], { env, timeoutMs: timeoutMs, cwd: proj });
    } catch (e) {
      return { code: -1, stdout: Buffer.alloc(0), stderr: Buffer.from(String(e.message)) };
    }
  };
  const r = await install([tarball, 'typescript@~5.9.3', '@types/node@^20.19.0']);
  if (r.code !== 0 && NETWORK.test(r.stderr.toString())) {
    t.skip(`the npm registry cannot be reached: ${r.stderr.toString().split('\n').find((l) => NETWORK.test(l))}`);
    return;
  }
  assert.equal(r.code, 0, r.stderr.toString());
  const pkgDir = join(proj, 'node_modules', 'openssl-ports');
  assert.ok(!existsSync(join(pkgDir, 'certs', 'root-ca.key')));
  for (const f of readdirSync(join(pkgDir, 'certs', 'ca-dir'))) assert.ok(lstatSync(join(pkgDir, 'certs', 'ca-dir', f)).isFile(), `${f} is a regular file after install`);

  const runIn = (args, opts = {}) => run(args[0], args.slice(1), { cwd: proj, env, timeoutMs: 120000, ...opts });

  writeFileSync(join(proj, 'esm.mjs'), esmApp);
  const esm = await runIn([process.execPath, 'esm.mjs']);
  assert.equal(esm.code, 0, esm.stderr.toString());
  const e = JSON.parse(esm.stdout.toString());
  assert.deepEqual(e.viaDir, { verified: true, echoed: 'ping' }, "the shipped ['directory', certs/ca-dir] verifies the shipped chain");
  assert.deepEqual(e.viaOther, { error: 'CERTIFICATE_VERIFY_FAILED' });
  assert.equal(e.sha1, 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(e.md5, '900150983cd24fb0d6963f7d28e17f72');
  assert.ok(e.libcrypto && e.libssl);
  assert.equal(e.legacy, 'boolean');

  writeFileSync(join(proj, 'app.cjs'), cjsApp);
  const cjs = await runIn([process.execPath, '--no-warnings', 'app.cjs']);
  assert.equal(cjs.code, 0, cjs.stderr.toString());
  assert.deepEqual(JSON.parse(cjs.stdout.toString()), {
    verified: true,
    sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
    md5: '900150983cd24fb0d6963f7d28e17f72',
    libcrypto: true,
    libssl: true,
  });

  // without koffi, from the installed package too
  const perm = await runIn([process.execPath, '--no-warnings', '--experimental-permission', '--allow-fs-read=*', '--input-type=module', '-e',
    `${ENTRY_POINTS.map((s, i) => `import * as m${i} from '${s}';`).join(' ')} console.log(m0.sslAvailable, m0.sslLoadFailReason !== null, await m1.sha1(Buffer.from('abc')));`]);
  assert.equal(perm.code, 0, perm.stderr.toString());
  assert.equal(perm.stdout.toString().trim(), 'false true a9993e364706816aba3e25717850c26c9cd0d89d');

  const info = await runIn([npx, '--no-install', 'openssl-ports', 'info']);
  assert.equal(info.code, 0, info.stderr.toString());
  assert.match(info.stdout.toString(), /ssl available:\s+true/);

  const example = await runIn([process.execPath, join(pkgDir, 'examples', 'mutual-tls.mjs')]);
  assert.equal(example.code, 0, example.stderr.toString() + example.stdout.toString());

  writeFileSync(join(proj, 'app.mts'), tsApp);
  for (const resolution of ['nodenext', 'bundler']) {
    writeFileSync(join(proj, `tsconfig.${resolution}.json`), tsconfig(resolution));
    const tsc = await runIn([process.execPath, join(proj, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${resolution}.json`]);
    assert.equal(tsc.code, 0, `TypeScript 5.9, ${resolution}: ${tsc.stdout}${tsc.stderr}`);
  }

  // TypeScript 7 (the native preview), when npm can provide it
  const ts7 = await install(['@typescript/native-preview'], 180000);
  if (ts7.code !== 0) {
    t.diagnostic(`TypeScript 7 not checked: @typescript/native-preview could not be installed (${ts7.stderr.toString().trim().split('\n').pop()})`);
  } else {
    for (const resolution of ['nodenext', 'bundler']) {
      const tsgo = await runIn([join(proj, 'node_modules/.bin/tsgo'), '-p', `tsconfig.${resolution}.json`]);
      assert.equal(tsgo.code, 0, `TypeScript 7, ${resolution}: ${tsgo.stdout}${tsgo.stderr}`);
    }
  }
  t.diagnostic(`tarball ${size} bytes, ${files.length} files`);
});
