/**
 * Streaming message digests through the libcrypto the library loaded (EVP), with a pure-JavaScript
 * fallback (@noble/hashes) where OpenSSL is unavailable or refuses the algorithm (e.g. MD5 under FIPS).
 * Input is consumed chunk by chunk: a stream of any size never sits in memory.
 *
 * Ownership: each digest owns one `EVP_MD_CTX` from start to end (freed in `finally`). The fetched
 * `EVP_MD` of each algorithm is a process-lifetime cache (not counted, never freed).
 *
 * @module
 */
import { Readable } from 'node:stream';
import { sha1 as nobleSha1, md5 as nobleMd5 } from '@noble/hashes/legacy.js';
import { crypto as C } from '../ffi/bindings.js';
import { created, freed } from '../ffi/objects.js';
import { clearErrors } from '../ffi/native.js';

/** The digests of the seed. */
export type DigestAlgorithm = 'SHA1' | 'MD5';

/** What the hashing procedures accept. */
export type HashInput = Readable | AsyncIterable<Uint8Array> | Uint8Array;

/** Largest slice handed to EVP_DigestUpdate at once. */
const SLICE = 1 << 20;

const mdCache = new Map<DigestAlgorithm, number>();
const warned = new Set<DigestAlgorithm>();

function forcedFallback(): boolean {
  return process.env.OPENSSL_PORTS_FORCE_HASH_FALLBACK === '1';
}

/** The EVP_MD for `alg`, or 0 when OpenSSL cannot provide it. */
function fetchMd(alg: DigestAlgorithm): number {
  if (!C || forcedFallback()) return 0;
  let md = mdCache.get(alg);
  if (md === undefined) {
    md = C.EVP_MD_fetch(0, alg, null);
    clearErrors();
    mdCache.set(alg, md);
  }
  return md;
}

function warnFallback(alg: DigestAlgorithm, why: string): void {
  if (warned.has(alg)) return;
  warned.add(alg);
  process.emitWarning(`${alg} is computed in JavaScript (@noble/hashes), not by OpenSSL: ${why}`, { code: 'OPENSSL_PORTS_HASH_FALLBACK' });
}

interface Hasher {
  update(chunk: Uint8Array): void;
  finish(): Buffer;
  dispose(): void;
}

function evpHasher(who: string, md: number): Hasher {
  const c = C!;
  const ctx = created('EVP_MD_CTX', c.EVP_MD_CTX_new());
  if (!ctx) throw new Error(`${who}: out of memory`);
  let live = true;
  const dispose = (): void => {
    if (!live) return;
    live = false;
    c.EVP_MD_CTX_free(ctx);
    freed('EVP_MD_CTX');
  };
  if (c.EVP_DigestInit_ex(ctx, md, 0) !== 1) {
    dispose();
    clearErrors();
    throw new Error(`${who}: OpenSSL refused to start the digest`);
  }
  return {
    update(chunk) {
      for (let off = 0; off < chunk.length; off += SLICE) {
        const part = off === 0 && chunk.length <= SLICE ? chunk : chunk.subarray(off, Math.min(off + SLICE, chunk.length));
        if (c.EVP_DigestUpdate(ctx, part, part.length) !== 1) throw new Error(`${who}: digest update failed`);
      }
    },
    finish() {
      const out = Buffer.alloc(64);
      const len = Buffer.alloc(4);
      if (c.EVP_DigestFinal_ex(ctx, out, len) !== 1) throw new Error(`${who}: digest failed`);
      return Buffer.from(out.subarray(0, len.readUInt32LE(0)));
    },
    dispose,
  };
}

function nobleHasher(alg: DigestAlgorithm): Hasher {
  const h = alg === 'SHA1' ? nobleSha1.create() : nobleMd5.create();
  return {
    update: (chunk) => void h.update(chunk),
    finish: () => Buffer.from(h.digest()),
    dispose: () => {},
  };
}

function makeHasher(who: string, alg: DigestAlgorithm): Hasher {
  const md = fetchMd(alg);
  if (md) return evpHasher(who, md);
  warnFallback(alg, forcedFallback() ? 'OPENSSL_PORTS_FORCE_HASH_FALLBACK=1' : C ? 'OpenSSL refuses the algorithm (FIPS?)' : 'OpenSSL is not available');
  return nobleHasher(alg);
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** Which algorithm OpenSSL computes (true) or the fallback (false), for tests and `info`. */
export function digestByOpenssl(alg: DigestAlgorithm): boolean {
  return fetchMd(alg) !== 0;
}

/** Digests everything `input` delivers. */
export async function digest(who: string, alg: DigestAlgorithm, input: HashInput): Promise<Buffer> {
  if (input instanceof Uint8Array) {
    const h = makeHasher(who, alg);
    try {
      h.update(input);
      return h.finish();
    } finally {
      h.dispose();
    }
  }
  if (!isAsyncIterable(input)) {
    throw new TypeError(`${who}: input must be a Readable, an AsyncIterable of Uint8Array or a Uint8Array, got ${input === null ? 'null' : typeof input}`);
  }
  const h = makeHasher(who, alg);
  try {
    for await (const chunk of input as AsyncIterable<unknown>) {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(`${who}: the input delivered a ${typeof chunk} chunk; it must deliver bytes (Uint8Array)`);
      }
      h.update(chunk);
    }
    return h.finish();
  } finally {
    h.dispose();
  }
}
