// openssl-ports/legacy: importing it loads OpenSSL's legacy provider (next to the default one) into
// the OpenSSL in use. Every check runs in a child process, so the provider never leaks into other tests.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const dist = (f) => JSON.stringify(new URL(`../dist/${f}`, import.meta.url).href);

function child(script, env) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60000,
  });
  return r;
}

// Digests and a cipher fetched through the very libcrypto handle the library loaded.
const probe = `
  import { legacyLoaded } from ${dist('legacy.js')};
  import { libcrypto } from ${dist('libcrypto.js')};
  import { opensslInfo } from ${dist('index.js')};
  import { sha1 } from ${dist('sha1.js')};
  import { md5 } from ${dist('md5.js')};
  import { createHash } from 'node:crypto';
  const f = (d) => libcrypto.func(d);
  const fetchMd = f('uintptr_t EVP_MD_fetch(uintptr_t, const char *, const char *)');
  const freeMd = f('void EVP_MD_free(uintptr_t)');
  const newCtx = f('uintptr_t EVP_MD_CTX_new()');
  const init = f('int EVP_DigestInit_ex(uintptr_t, uintptr_t, uintptr_t)');
  const update = f('int EVP_DigestUpdate(uintptr_t, void *, size_t)');
  const final = f('int EVP_DigestFinal_ex(uintptr_t, void *, void *)');
  const freeCtx = f('void EVP_MD_CTX_free(uintptr_t)');
  const fetchCipher = f('uintptr_t EVP_CIPHER_fetch(uintptr_t, const char *, const char *)');
  const freeCipher = f('void EVP_CIPHER_free(uintptr_t)');
  function evp(name, text) {
    const md = fetchMd(0, name, null);
    if (!md) return null;
    const ctx = newCtx();
    const out = Buffer.alloc(64), len = Buffer.alloc(4);
    const ok = init(ctx, md, 0) === 1 && update(ctx, Buffer.from(text), text.length) === 1 && final(ctx, out, len) === 1;
    freeCtx(ctx); freeMd(md);
    return ok ? out.subarray(0, len.readUInt32LE(0)).toString('hex') : null;
  }
  const rc4 = fetchCipher(0, 'RC4', null);
  if (rc4) freeCipher(rc4);
  let nodeMd4;
  try { nodeMd4 = createHash('md4').update('abc').digest('hex'); } catch { nodeMd4 = null; }
  console.log(JSON.stringify({
    source: opensslInfo().source, legacyLoaded, md4: evp('MD4', 'abc'), rc4: rc4 !== 0,
    sha256: evp('SHA256', 'abc'), sha1: await sha1(Buffer.from('abc')), md5: await md5(Buffer.from('abc')), nodeMd4,
  }));`;

const EXPECTED = {
  legacyLoaded: true,
  md4: 'a448017aaf21d8525fc10ae87aa6729d', // RFC 1320
  rc4: true,
  sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', // default provider still there
  sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
  md5: '900150983cd24fb0d6963f7d28e17f72',
};

test('system OpenSSL: MD4 and RC4 appear, SHA-256/SHA-1/MD5 keep working, Node\'s own OpenSSL is untouched', () => {
  const r = child(probe, { OPENSSL_PORTS_LIB: 'system' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.source, 'system');
  // The module was preloaded with deep binding into the system libcrypto: node:crypto still lacks MD4.
  assert.deepEqual(res, { ...EXPECTED, source: 'system', nodeMd4: null });
  assert.doesNotMatch(r.stderr, /OPENSSL_PORTS_NO_LEGACY/);
});

test("Node's embedded OpenSSL: the legacy provider is loaded there too", () => {
  const r = child(probe, { OPENSSL_PORTS_LIB: 'node' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  if (!res.legacyLoaded) {
    // A Node built without the legacy provider: a warning, nothing else.
    assert.match(r.stderr, /OPENSSL_PORTS_NO_LEGACY/);
    return;
  }
  // Same libcrypto as node:crypto, so node:crypto now has MD4 as well.
  assert.deepEqual(res, { ...EXPECTED, source: 'node', nodeMd4: EXPECTED.md4 });
});

test('without a legacy module: exactly one warning, no throw, other digests unaffected', () => {
  const script = `
    import { legacyLoaded } from ${dist('legacy.js')};
    import { sha1 } from ${dist('sha1.js')};
    console.log(JSON.stringify({ legacyLoaded, sha1: await sha1(Buffer.from('abc')) }));`;
  const r = child(script, { OPENSSL_PORTS_LIB: 'system', OPENSSL_MODULES: '/nonexistent' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { legacyLoaded: false, sha1: EXPECTED.sha1 });
  assert.equal(r.stderr.match(/OPENSSL_PORTS_NO_LEGACY/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /nonexistent/);
});

test('without any OpenSSL: one warning, no throw', () => {
  const r = child(`import { legacyLoaded } from ${dist('legacy.js')}; console.log(legacyLoaded);`, { OPENSSL_PORTS_LIB: 'bogus' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'false');
  assert.equal(r.stderr.match(/OPENSSL_PORTS_NO_LEGACY/g)?.length, 1, r.stderr);
});
