// openssl-ports/libcrypto and /libssl: real handles on the OpenSSL in use (legacy: legacy.test.mjs).
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
      import { libcrypto, libcryptoLoadFailReason } from ${dist('libcrypto.js')};
      import { libssl, libsslLoadFailReason } from ${dist('libssl.js')};
      console.log(JSON.stringify({ ok: sslAvailable, source: opensslInfo().source, v: libcrypto.func('const char *OpenSSL_version(int)')(0),
        method: libssl.func('uintptr_t TLS_method()')() !== 0, reasons: [libcryptoLoadFailReason, libsslLoadFailReason] }));`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, OPENSSL_PORTS_LIB: source } });
    const res = JSON.parse(r.stdout.toString());
    assert.equal(res.ok, true);
    assert.equal(res.source, source);
    assert.match(res.v, /^OpenSSL 3\./);
    assert.equal(res.method, true);
    assert.deepEqual(res.reasons, [null, null]);
  });
}

test('an impossible source leaves OpenSSL unavailable with a reason, and TLS calls throw', async () => {
  const script = `
    import * as o from ${dist('index.js')};
    import { libcrypto, libcryptoLoadFailReason, opensslLibVersions } from ${dist('libcrypto.js')};
    import { libssl, libsslLoadFailReason } from ${dist('libssl.js')};
    let err = null;
    try { o.sslMakeClientContext(); } catch (e) { err = e.message; }
    console.log(JSON.stringify({ ok: o.sslAvailable, reason: o.sslLoadFailReason, lib: libcrypto, r2: libcryptoLoadFailReason,
      ssl: libssl, r3: libsslLoadFailReason, versions: opensslLibVersions, err }));`;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, OPENSSL_PORTS_LIB: 'bogus' } });
  const res = JSON.parse(r.stdout.toString());
  assert.equal(res.ok, false);
  assert.equal(res.lib, null);
  assert.match(res.reason, /OPENSSL_PORTS_LIB/);
  assert.match(res.r2, /OPENSSL_PORTS_LIB/);
  assert.equal(res.ssl, null);
  assert.match(res.r3, /OPENSSL_PORTS_LIB/);
  assert.ok(res.versions.length > 0);
  assert.match(res.err, /^sslMakeClientContext: OpenSSL is not available/);
});
