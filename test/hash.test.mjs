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
    for (let i = 0; i < 20; i++) out.push(await sha1(Buffer.from('abc')), await md5(Buffer.from('abc')));
    await new Promise((r) => setImmediate(r));
    console.log(JSON.stringify({ first: out.slice(0, 2), same: new Set(out).size, warnings }));`;
  const r = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    env: { ...process.env, OPENSSL_PORTS_FORCE_HASH_FALLBACK: '1' },
  });
  assert.equal(r.code, 0, r.stderr.toString());
  const res = JSON.parse(r.stdout.toString());
  assert.deepEqual(res.first, ['a9993e364706816aba3e25717850c26c9cd0d89d', '900150983cd24fb0d6963f7d28e17f72']);
  assert.equal(res.same, 2);
  assert.deepEqual(res.warnings, ['OPENSSL_PORTS_HASH_FALLBACK', 'OPENSSL_PORTS_HASH_FALLBACK']);
});

test('hex helpers (after Racket tests/file/sha1.rkt)', () => {
  assert.deepEqual(hexStringToBytes(''), Buffer.alloc(0));
  assert.deepEqual(hexStringToBytes('00'), Buffer.from([0]));
  assert.deepEqual(hexStringToBytes('Af'), Buffer.from([175]));
  assert.equal(bytesToHexString(hexStringToBytes('1234567890abcdef')), '1234567890abcdef');
  assert.throws(() => hexStringToBytes('1'), RangeError);
  assert.throws(() => hexStringToBytes('zz'), (e) => e instanceof RangeError && /position 0/.test(e.message));
  assert.throws(() => hexStringToBytes('0g'), (e) => e instanceof RangeError && /position 1/.test(e.message));
  assert.throws(() => hexStringToBytes(12), TypeError);
  assert.throws(() => bytesToHexString('ab'), TypeError);
});

test('bad inputs are refused clearly', async () => {
  await assert.rejects(sha1('abc'), TypeError);
  await assert.rejects(md5(null), TypeError);
  await assert.rejects(sha1(Readable.from(['text chunks'])), (e) => e instanceof TypeError && /must deliver bytes/.test(e.message));
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
  await collectGarbage();
  assert.equal(sslObjectCounts().EVP_MD_CTX, 0);
});

test('256 MiB streamed without holding it: equal to node:crypto, RSS stays flat', async () => {
  const block = randomBytes(1 << 20);
  const expected = createHash('sha1');
  for (let i = 0; i < 256; i++) expected.update(block);
  await collectGarbage();
  const before = process.memoryUsage().rss;
  let peak = before;
  async function* stream() {
    for (let i = 0; i < 256; i++) {
      if (i % 32 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      yield block;
    }
  }
  assert.equal(await sha1(stream()), expected.digest('hex'));
  assert.ok(peak - before < 64 * 1024 * 1024, `RSS grew by ${((peak - before) / 1048576).toFixed(1)} MiB`);
});
