/**
 * Streaming message digests through the libcrypto the library loaded (EVP), with a pure-JavaScript
 * fallback (@noble/hashes) where OpenSSL is unavailable or refuses the algorithm (e.g. MD5 under FIPS).
 * Input is consumed chunk by chunk: a stream of any size never sits in memory.
 *
 * Ownership: each digest owns one `EVP_MD_CTX` from start to end (counted with `created`/`freed`, freed
 * in `finally`, also when the input fails). The fetched `EVP_MD` of each algorithm is a process-lifetime
 * cache: it is deliberately not counted and never freed, so `objectCounts()` returns to zero.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { sha1 as nobleSha1, md5 as nobleMd5 } from '@noble/hashes/legacy.js';
import { crypto as C } from '../ffi/bindings.js';
import { loadFailReason } from '../ffi/library.js';
import { created, freed } from '../ffi/objects.js';
import { clearErrors } from '../ffi/native.js';
import { SslError } from '../errors.js';

/**
 * The digests of the seed, by their OpenSSL names.
 *
 * @example
 * ```ts
 * const alg: DigestAlgorithm = 'SHA1';
 * ```
 */
export type DigestAlgorithm = 'SHA1' | 'MD5';

/**
 * What the hashing procedures accept: an input port (`Readable` delivering bytes), any async iterable
 * of byte chunks, or the bytes themselves.
 *
 * @example
 * ```ts
 * const a: HashInput = Buffer.from('abc');
 * const b: HashInput = createReadStream('file.bin');
 * const c: HashInput = (async function* () { yield new Uint8Array([1, 2]); })();
 * ```
 */
export type HashInput = Readable | AsyncIterable<Uint8Array> | Uint8Array;

/** Largest slice handed to one EVP_DigestUpdate call. */
const SLICE = 1 << 20;

/** A fetched EVP_MD and its digest size in bytes. */
interface Md {
  md: number;
  size: number;
}

/** Process-lifetime cache of fetched EVP_MDs (null = OpenSSL refused the algorithm). Not counted, never freed. */
const mdCache = new Map<DigestAlgorithm, Md | null>();
/** Algorithms whose fallback has already been announced (one warning per algorithm per process). */
const warned = new Set<DigestAlgorithm>();

function forcedFallback(): boolean {
  return process.env.OPENSSL_PORTS_FORCE_HASH_FALLBACK === '1';
}

/** The EVP_MD for `alg`, or null when OpenSSL is not to be used or cannot provide it. */
function fetchMd(alg: DigestAlgorithm): Md | null {
  if (!C || forcedFallback()) return null;
  let entry = mdCache.get(alg);
  if (entry === undefined) {
    const md = C.EVP_MD_fetch(0, alg, null);
    clearErrors(); // a refused fetch leaves an entry that would poison later SSL_get_error calls
    entry = md ? { md, size: C.EVP_MD_get_size(md) } : null;
    mdCache.set(alg, entry);
  }
  return entry;
}

function fallbackReason(): string {
  if (forcedFallback()) return 'OPENSSL_PORTS_FORCE_HASH_FALLBACK=1 is set';
  if (!C) return `OpenSSL is not available (${loadFailReason ?? 'unknown reason'})`;
  return 'the OpenSSL in use refuses the algorithm (FIPS mode?)';
}

function warnFallback(alg: DigestAlgorithm): void {
  if (warned.has(alg)) return;
  warned.add(alg);
  process.emitWarning(`openssl-ports: ${alg} is computed in JavaScript (@noble/hashes), not by OpenSSL: ${fallbackReason()}`, {
    code: 'OPENSSL_PORTS_HASH_FALLBACK',
  });
}

interface Hasher {
  update(chunk: Uint8Array): void;
  finish(): Buffer;
  dispose(): void;
}

function evpHasher(who: string, { md, size }: Md): Hasher {
  const c = C!;
  const ctx = created('EVP_MD_CTX', c.EVP_MD_CTX_new());
  if (!ctx) {
    clearErrors();
    throw new Error(`${who}: OpenSSL could not allocate a digest context`);
  }
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
      const n = chunk.length;
      if (n <= SLICE) {
        // The common case: the chunk goes to OpenSSL as it is, no copy, no allocation.
        if (c.EVP_DigestUpdate(ctx, chunk, n) !== 1) fail('digest update failed');
        return;
      }
      for (let off = 0; off < n; off += SLICE) {
        const part = chunk.subarray(off, Math.min(off + SLICE, n));
        if (c.EVP_DigestUpdate(ctx, part, part.length) !== 1) fail('digest update failed');
      }
    },
    finish() {
      const out = Buffer.alloc(size); // exactly the digest: no view into a larger buffer
      if (c.EVP_DigestFinal_ex(ctx, out, null) !== 1) fail('digest finalisation failed');
      return out;
    },
    dispose,
  };
  function fail(what: string): never {
    clearErrors();
    throw new Error(`${who}: ${what}`);
  }
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
  warnFallback(alg);
  return nobleHasher(alg);
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/**
 * Whether OpenSSL computes `alg` (true) or the @noble/hashes fallback does (false).
 *
 * @example
 * ```ts
 * digestByOpenssl('MD5'); // false in FIPS mode
 * ```
 */
export function digestByOpenssl(alg: DigestAlgorithm): boolean {
  return fetchMd(alg) !== null;
}

/**
 * Digests everything `input` delivers, read to its end, chunk by chunk. Bytes are digested at once in
 * one synchronous pass; streams and iterables are consumed with `for await`, never buffered whole.
 * `who` names the public procedure in error messages.
 *
 * @example
 * ```ts
 * await digestBytes('sha1Bytes', 'SHA1', Buffer.from('abc')); // <Buffer a9 99 3e 36 …>
 * ```
 */
export async function digestBytes(who: string, alg: DigestAlgorithm, input: HashInput): Promise<Buffer> {
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
    throw new TypeError(`${who}: input must be a Readable, an AsyncIterable of Uint8Array or a Uint8Array, got ${describe(input)}`);
  }
  const h = makeHasher(who, alg);
  try {
    let iterating = true;
    try {
      for await (const chunk of input as AsyncIterable<unknown>) {
        if (!(chunk instanceof Uint8Array)) {
          iterating = false;
          // Leaving the loop calls the iterator's return(), which destroys a Readable.
          throw new TypeError(`${who}: the input delivered a ${describe(chunk)} chunk; it must deliver bytes (Uint8Array), not text or objects`);
        }
        h.update(chunk);
      }
    } catch (e) {
      if (!iterating) throw e;
      throw inputError(who, e);
    }
    return h.finish();
  } finally {
    h.dispose();
  }
}

/** The input failed while being read (a closed or destroyed port, a stream error): an SslError naming `who`. */
function inputError(who: string, e: unknown): SslError {
  const code = (e as NodeJS.ErrnoException | null)?.code ?? null;
  const message = e instanceof Error ? e.message : String(e);
  const what =
    code === 'ERR_STREAM_PREMATURE_CLOSE'
      ? 'the input was closed before its end'
      : 'reading the input failed';
  return new SslError(`${who}: ${what} (${message})`, { status: e instanceof SslError ? e.status : null, code: typeof code === 'string' ? code : null, cause: e });
}
