// openssl-ports/libcrypto, /libssl and /legacy: real handles on the OpenSSL in use.
import test from 'node:test';
import assert from 'node:assert/strict';
import { libcrypto, libcryptoLoadFailReason, opensslLibVersions } from '../dist/libcrypto.js';
import { libssl, libsslLoadFailReason } from '../dist/libssl.js';
import { run } from './support/helpers.mjs';

const dist = (f) => JSON.stringify(new URL(`../dist/${f}`, import.meta.url).href);

test('libcrypto and libssl are handles to declare OpenSSL functions on', () => {
  assert.equal(libcryptoLoadFailReason, null);
  assert.equal(libsslLoadFailReason, null);
  assert.ok(Array.isArray(opensslLibVersions) && opensslLibVersions.length > 0);
  assert.match(libcrypto.func('const char *OpenSSL_version(int)')(0), /^OpenSSL 3\./);
  assert.notEqual(libssl.func('uintptr_t TLS_method()')(), 0);
});

for (const source of ['system', 'node']) {
  test(`OPENSSL_PORTS_LIB=${source} loads that OpenSSL`, async () => {
    const script = `
      import { opensslInfo, sslAvailable } from ${dist('index.js')};
      import { libcrypto } from ${dist('libcrypto.js')};
      console.log(JSON.stringify({ ok: sslAvailable, source: opensslInfo().source, v: libcrypto.func('const char *OpenSSL_version(int)')(0) }));`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, OPENSSL_PORTS_LIB: source } });
    const res = JSON.parse(r.stdout.toString());
    assert.equal(res.ok, true);
    assert.equal(res.source, source);
    assert.match(res.v, /^OpenSSL 3\./);
  });
}

test('an impossible source leaves OpenSSL unavailable with a reason, and TLS calls throw', async () => {
  const script = `
    import * as o from ${dist('index.js')};
    import { libcrypto, libcryptoLoadFailReason } from ${dist('libcrypto.js')};
    let err = null;
    try { o.sslMakeClientContext(); } catch (e) { err = e.message; }
    console.log(JSON.stringify({ ok: o.sslAvailable, reason: o.sslLoadFailReason, lib: libcrypto, r2: libcryptoLoadFailReason, err }));`;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, OPENSSL_PORTS_LIB: 'bogus' } });
  const res = JSON.parse(r.stdout.toString());
  assert.equal(res.ok, false);
  assert.equal(res.lib, null);
  assert.match(res.reason, /OPENSSL_PORTS_LIB/);
  assert.match(res.r2, /OPENSSL_PORTS_LIB/);
  assert.match(res.err, /^sslMakeClientContext: OpenSSL is not available/);
});

test("import 'openssl-ports/legacy' makes MD4 and RC4 available (and keeps SHA-256)", async () => {
  const script = `
    import { legacyLoaded } from ${dist('legacy.js')};
    import { libcrypto } from ${dist('libcrypto.js')};
    const f = (d) => libcrypto.func(d);
    const fetch = f('uintptr_t EVP_MD_fetch(uintptr_t, const char *, const char *)');
    const newCtx = f('uintptr_t EVP_MD_CTX_new()'), init = f('int EVP_DigestInit_ex(uintptr_t, uintptr_t, uintptr_t)');
    const update = f('int EVP_DigestUpdate(uintptr_t, void *, size_t)'), final = f('int EVP_DigestFinal_ex(uintptr_t, void *, void *)');
    const free = f('void EVP_MD_CTX_free(uintptr_t)');
    const ctx = newCtx(); init(ctx, fetch(0, 'MD4', null), 0); update(ctx, Buffer.from('abc'), 3);
    const out = Buffer.alloc(64), len = Buffer.alloc(4); final(ctx, out, len); free(ctx);
    const rc4 = f('uintptr_t EVP_CIPHER_fetch(uintptr_t, const char *, const char *)')(0, 'RC4', null);
    console.log(JSON.stringify({ legacyLoaded, md4: out.subarray(0, len.readUInt32LE(0)).toString('hex'), rc4: rc4 !== 0, sha256: fetch(0, 'SHA256', null) !== 0 }));`;
  for (const source of ['system', 'node']) {
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, OPENSSL_PORTS_LIB: source } });
    assert.equal(r.code, 0, r.stderr.toString());
    assert.deepEqual(JSON.parse(r.stdout.toString()), { legacyLoaded: true, md4: 'a448017aaf21d8525fc10ae87aa6729d', rc4: true, sha256: true });
  }
});

test('without a legacy module: one warning, no crash', async () => {
  const script = `import { legacyLoaded } from ${dist('legacy.js')}; console.log(legacyLoaded);`;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, OPENSSL_PORTS_LIB: 'system', OPENSSL_MODULES: '/nonexistent' },
  });
  assert.equal(r.code, 0);
  assert.equal(r.stdout.toString().trim(), 'false');
  assert.equal(r.stderr.toString().match(/OPENSSL_PORTS_NO_LEGACY/g)?.length, 1);
});
