// openssl-ports/sha1 and /md5: RFC vectors over every input kind, `openssl dgst` on random files,
// the forced fallback, the hex helpers, leaks, and streaming without holding the input.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createReadStream, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { sha1, sha1Bytes, bytesToHexString, hexStringToBytes } from '../dist/sha1.js';
import { md5, md5Bytes } from '../dist/md5.js';
import { sslObjectCounts } from '../dist/index.js';
import { run, collectGarbage } from './support/helpers.mjs';

const SHA1_VECTORS = [
  ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
  ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
  ['a'.repeat(1_000_000), '34aa973cd4c4daa4f61eeb2bdbad27316534016f'],
  ['01234567'.repeat(8).repeat(10), 'dea356a2cddd90c7a7ecedc5ebb563934f460452'],
];
const MD5_VECTORS = [
  ['', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['a', '0cc175b9c0f1b6a831c399e269772661'],
  ['abc', '900150983cd24fb0d6963f7d28e17f72'],
  ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
  ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
  ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
];

/** The three input kinds: bytes, a Readable, an async generator of odd-sized chunks. */
function inputs(text) {
  const bytes = Buffer.from(text);
  async function* odd() {
    for (let i = 0, n = 1; i < bytes.length; i += n, n = (n * 7 + 3) % 9973 || 1) yield bytes.subarray(i, i + n);
  }
  return [
    ['Uint8Array', () => new Uint8Array(bytes)],
    ['Readable', () => Readable.from([bytes])],
    ['AsyncIterable', () => odd()],
  ];
}

test('SHA-1: RFC 3174 vectors over every input kind', async () => {
  for (const [text, expected] of SHA1_VECTORS) {
    for (const [kind, make] of inputs(text)) {
      assert.equal(await sha1(make()), expected, `${kind} ${text.slice(0, 10)}`);
      assert.deepEqual(await sha1Bytes(make()), Buffer.from(expected, 'hex'));
    }
  }
});

test('MD5: RFC 1321 vectors over every input kind', async () => {
  for (const [text, expected] of MD5_VECTORS) {
    for (const [kind, make] of inputs(text)) {
      assert.equal(await md5(make()), expected, `${kind} ${JSON.stringify(text.slice(0, 10))}`);
      assert.equal((await md5Bytes(make())).length, 16);
    }
  }
});

test('random files agree with `openssl dgst`', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opp-hash-'));
  try {
    for (const size of [0, 1, 55, 56, 64, 65, (1 << 20) + 3]) {
      const file = join(dir, `f${size}`);
      writeFileSync(file, randomBytes(size));
      for (const [alg, fn] of [['sha1', sha1], ['md5', md5]]) {
        const r = await run('openssl', ['dgst', `-${alg}`, '-r', file]);
        assert.equal(r.code, 0);
        assert.equal(await fn(createReadStream(file)), r.stdout.toString().split(' ')[0], `${alg} of ${size} bytes`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('forced fallback (@noble/hashes): same values, exactly one warning per algorithm', async () => {
  const script = `
    import { sha1 } from ${JSON.stringify(new URL('../dist/sha1.js', import.meta.url).href)};
    import { md5 } from ${JSON.stringify(new URL('../dist/md5.js', import.meta.url).href)};
    const warnings = [];
    process.on('warning', (w) => warnings.push(w.code));
    const out = [];
    const { Readable } = await import('node:stream');
    for (let i = 0; i < 50; i++) out.push(await sha1(Buffer.from('abc')), await md5(Readable.from([Buffer.from('ab'), Buffer.from('c')])));
    const million = await sha1(Readable.from((function* () { for (let i = 0; i < 1000; i++) yield Buffer.alloc(1000, 'a'); })()));
    await new Promise((r) => setImmediate(r));
    console.log(JSON.stringify({ first: out.slice(0, 2), same: new Set(out).size, million, warnings }));`;
  const r = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    env: { ...process.env, OPENSSL_PORTS_FORCE_HASH_FALLBACK: '1' },
  });
  assert.equal(r.code, 0, r.stderr.toString());
  const res = JSON.parse(r.stdout.toString());
  assert.deepEqual(res.first, ['a9993e364706816aba3e25717850c26c9cd0d89d', '900150983cd24fb0d6963f7d28e17f72']);
  assert.equal(res.same, 2);
  assert.equal(res.million, '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  assert.deepEqual(res.warnings, ['OPENSSL_PORTS_HASH_FALLBACK', 'OPENSSL_PORTS_HASH_FALLBACK']);
});

test('no OpenSSL at all: the fallback computes, and its one warning says why', async () => {
  const script = `
    import { sha1 } from ${JSON.stringify(new URL('../dist/sha1.js', import.meta.url).href)};
    const warnings = [];
    process.on('warning', (w) => warnings.push(w.code + ' ' + w.message));
    const a = await sha1(Buffer.from('abc'));
    await sha1(Buffer.from('abc'));
    await new Promise((r) => setImmediate(r));
    console.log(JSON.stringify({ a, warnings }));`;
  const r = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    env: { ...process.env, OPENSSL_PORTS_LIB: 'bogus' },
  });
  assert.equal(r.code, 0, r.stderr.toString());
  const res = JSON.parse(r.stdout.toString());
  assert.equal(res.a, 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(res.warnings.length, 1);
  assert.match(res.warnings[0], /^OPENSSL_PORTS_HASH_FALLBACK .*not by OpenSSL.*OpenSSL is not available.*OPENSSL_PORTS_LIB/);
});

test('chunks over 1 MiB (sliced), views with an offset, and every chunk size agree with node:crypto', async () => {
  const big = randomBytes(3 * (1 << 20) + 5);
  const want = (b, alg = 'sha1') => createHash(alg).update(b).digest('hex');
  assert.equal(await sha1(big), want(big));
  assert.equal(await md5(big), want(big, 'md5'));
  const view = new Uint8Array(big.buffer, big.byteOffset + 7, 100_003);
  assert.equal(await sha1(view), want(view));
  assert.equal(await sha1(Readable.from([big.subarray(0, 5), big.subarray(5)])), want(big));
  async function* sizes() {
    for (let i = 0, n = 1; i < big.length; i += n, n = n * 3 + 1) yield big.subarray(i, i + n);
  }
  assert.equal(await md5(sizes()), want(big, 'md5'));
});

test('sha1 is always 40 lowercase hex digits, md5 32 (leading zero bytes kept)', async () => {
  let leadingZero = false;
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(`x${i}`);
    const h = await sha1(b);
    assert.match(h, /^[0-9a-f]{40}$/);
    assert.equal(h, createHash('sha1').update(b).digest('hex'));
    assert.match(await md5(b), /^[0-9a-f]{32}$/);
    leadingZero ||= h.startsWith('0');
    assert.equal((await sha1Bytes(b)).length, 20);
  }
  assert.ok(leadingZero);
});

test('hex helpers (after Racket tests/file/sha1.rkt)', () => {
  assert.deepEqual(hexStringToBytes(''), Buffer.alloc(0));
  assert.deepEqual(hexStringToBytes('00'), Buffer.from([0]));
  assert.deepEqual(hexStringToBytes('Af'), Buffer.from([175]));
  assert.deepEqual(hexStringToBytes('00ff10'), Buffer.from([0, 255, 16]));
  assert.equal(bytesToHexString(hexStringToBytes('1234567890abcdef')), '1234567890abcdef');
  assert.equal(bytesToHexString(hexStringToBytes('ABCDEF')), 'abcdef');
  assert.equal(bytesToHexString(new Uint8Array(0)), '');
  assert.equal(bytesToHexString(new Uint8Array([1, 2, 3, 254]).subarray(1, 3)), '0203');
  assert.throws(() => hexStringToBytes('abc'), /odd number of hex digits/);
  assert.throws(() => hexStringToBytes('1'), RangeError);
  assert.throws(() => hexStringToBytes('zz'), (e) => e instanceof RangeError && /position 0/.test(e.message));
  assert.throws(() => hexStringToBytes('0g'), (e) => e instanceof RangeError && /position 1/.test(e.message));
  assert.throws(() => hexStringToBytes(12), TypeError);
  assert.throws(() => hexStringToBytes(null), TypeError);
  assert.throws(() => bytesToHexString('ab'), TypeError);
});

test('bad inputs are refused clearly', async () => {
  await assert.rejects(sha1('abc'), TypeError);
  await assert.rejects(md5(null), TypeError);
  await assert.rejects(sha1Bytes([Buffer.from('a')]), (e) => e instanceof TypeError && /^sha1Bytes: input must be/.test(e.message));
  await assert.rejects(md5Bytes({}), (e) => e instanceof TypeError && /^md5Bytes:/.test(e.message));
  const text = Readable.from(['text chunks']);
  await assert.rejects(sha1(text), (e) => e instanceof TypeError && /^sha1: .*must deliver bytes/.test(e.message));
  assert.equal(text.destroyed, true);
  const stringMode = new Readable({ read() {} });
  stringMode.setEncoding('utf8');
  stringMode.push(Buffer.from('abc'));
  stringMode.push(null);
  await assert.rejects(md5(stringMode), TypeError);
  assert.equal(sslObjectCounts().EVP_MD_CTX, 0);
});

test('10,000 digests and failing streams leak no EVP_MD_CTX (forced GC)', async () => {
  for (let i = 0; i < 10_000; i++) {
    await sha1Bytes(Buffer.from(String(i)));
    if (i % 2500 === 0) await collectGarbage();
  }
  async function* failing() {
    yield Buffer.from('part');
    throw new Error('stream broke');
  }
  for (let i = 0; i < 100; i++) await assert.rejects(md5(failing()), /stream broke/);
  for (let i = 0; i < 100; i++) {
    const r = new Readable({ read() {} });
    r.push(Buffer.from('first half'));
    setImmediate(() => r.destroy(new Error('readable broke')));
    const p = sha1(r);
    assert.equal(sslObjectCounts().EVP_MD_CTX, 1); // the context lives while the stream does
    await assert.rejects(p, /readable broke/);
  }
  await collectGarbage();
  assert.equal(sslObjectCounts().EVP_MD_CTX, 0);
  assert.equal(sslObjectCounts().EVP_MD, 0); // the fetched EVP_MDs are an uncounted process-lifetime cache
});

test('256 MiB streamed without holding it: equal to node:crypto, RSS stays flat', async () => {
  // Every chunk is a fresh 1 MiB allocation, so an implementation that kept chunks would grow by 256 MiB.
  const block = randomBytes(1 << 20);
  const expected = createHash('sha1');
  await collectGarbage();
  const before = process.memoryUsage().rss;
  let peak = before;
  async function* stream() {
    for (let i = 0; i < 256; i++) {
      const chunk = Buffer.allocUnsafeSlow(1 << 20);
      block.copy(chunk);
      chunk.writeUInt32LE(i, 0);
      expected.update(chunk);
      if (i % 8 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      yield chunk;
    }
  }
  assert.equal(await sha1(stream()), expected.digest('hex'));
  peak = Math.max(peak, process.memoryUsage().rss);
  assert.ok(peak - before < 64 * 1024 * 1024, `RSS grew by ${((peak - before) / 1048576).toFixed(1)} MiB`);
});
