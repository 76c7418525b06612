/**
 * Certificates and keys given as files or as bytes in memory: the one spelling the whole API uses
 * (`path`, `['pem', path]`, `['pem-data', bytes]`, `['der', path]`, `['der-data', bytes]`), and the
 * parsing of such a source into owned `X509 *` objects.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { native, clearErrors } from '../ffi/native.js';
import { created, freed } from '../ffi/objects.js';
import type { Ptr } from '../ffi/bindings.js';
import { SslError } from '../errors.js';
import { assertPath, typeError } from '../assert.js';
import { opensslFailure } from './context.js';

/**
 * Certificates held in memory: PEM text (a string, Buffer or Uint8Array; several certificates may
 * follow one another, other PEM blocks such as keys are skipped) or DER bytes (one or more
 * certificates back to back).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sslMakeClientContext, sslLoadVerifySource, type CertificateData } from 'openssl-ports';
 * const ca: CertificateData = ['pem-data', readFileSync('certs/root-ca.pem')];
 * const ctx = sslMakeClientContext();
 * sslLoadVerifySource(ctx, ca);
 * ```
 */
export type CertificateData = ['pem-data', string | Uint8Array] | ['der-data', Uint8Array];

/**
 * Where certificates come from: a PEM file (a plain path, or `['pem', path]`), a DER file
 * (`['der', path]`), or {@link CertificateData} in memory.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sslMakeServerContext, type CertificateSource } from 'openssl-ports';
 * const chain: CertificateSource = ['pem-data', readFileSync('certs/server-rsa-chain.pem', 'latin1')];
 * const ctx = sslMakeServerContext('auto', { certificateChain: chain, privateKey: ['pem', 'certs/server-rsa.key'] });
 * ```
 */
export type CertificateSource = string | ['pem', string] | ['der', string] | CertificateData;

/** The spelling of a certificate source, for error messages. */
export const CERTIFICATE_SOURCE_FORMS = "a path, ['pem', path], ['der', path], ['pem-data', bytes | string] or ['der-data', bytes]";

/** A certificate or key source resolved to bytes. */
export interface SourceBytes {
  bytes: Buffer;
  der: boolean;
  /** What the bytes are, for messages: the path, or `'pem-data'`/`'der-data'`. */
  what: string;
}

/** Reads a file for a procedure, turning a failure into an `SslError` with Node's code. */
export function readFileFor(who: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? null;
    throw new SslError(`${who}: cannot read ${path} (${code ?? (e as Error).message})`, { code, cause: e });
  }
}

/** Whether `v` is a tuple `[kind, value]` with one of `kinds`. */
export function isTagged(v: unknown, kinds: readonly string[]): v is [string, unknown] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && kinds.includes(v[0]);
}

/**
 * Resolves a `['pem', path]`, `['der', path]`, `['pem-data', data]` or `['der-data', data]` tuple
 * (or a plain path, PEM) to bytes; `arg` names the argument in errors.
 */
export function sourceBytes(who: string, arg: string, src: unknown, noun: 'certificate' | 'key' = 'certificate'): SourceBytes {
  if (typeof src === 'string') {
    assertPath(who, arg, src);
    return { bytes: readFileFor(who, src), der: false, what: src };
  }
  if (!isTagged(src, ['pem', 'der', 'pem-data', 'der-data'])) throw typeError(who, arg, CERTIFICATE_SOURCE_FORMS, src);
  const [kind, value] = src;
  if (kind === 'pem' || kind === 'der') {
    assertPath(who, `${arg} path`, value);
    return { bytes: readFileFor(who, value), der: kind === 'der', what: value };
  }
  const data: unknown = value;
  if (typeof data === 'string' ? kind !== 'pem-data' : !(data instanceof Uint8Array)) {
    throw typeError(who, `${arg} data`, kind === 'pem-data' ? 'a Buffer, Uint8Array or string' : 'a Buffer or Uint8Array', data);
  }
  const bytesOrText = data as Uint8Array | string;
  // An empty buffer would reach OpenSSL as NULL ("passed a null parameter"): say what is wrong.
  if (bytesOrText.length === 0) throw new RangeError(`${who}: ${arg}'s ${noun} data is empty`);
  if (typeof bytesOrText === 'string') return { bytes: Buffer.from(bytesOrText, 'latin1'), der: false, what: kind };
  const value8 = bytesOrText;
  return { bytes: Buffer.from(value8.buffer, value8.byteOffset, value8.byteLength), der: kind === 'der-data', what: kind };
}

/**
 * Parses every certificate in `src` into owned `X509 *` objects (leaf first, as given); the caller
 * frees them with {@link freeCertificates}. Throws when there is none.
 */
export function readCertificates(who: string, src: SourceBytes): Ptr[] {
  const { crypto } = native(who);
  clearErrors();
  const bio = created('BIO', crypto.BIO_new_mem_buf(src.bytes, src.bytes.length));
  if (!bio) throw opensslFailure(who, 'out of memory');
  const out: Ptr[] = [];
  try {
    for (;;) {
      const x = src.der ? crypto.d2i_X509_bio(bio, 0) : crypto.PEM_read_bio_X509(bio, 0, 0, 0);
      if (!x) break;
      out.push(created('X509', x));
    }
  } finally {
    crypto.BIO_free(bio);
    freed('BIO');
  }
  if (out.length === 0) throw opensslFailure(who, `no ${src.der ? 'DER' : 'PEM'} certificate found in ${src.what}`);
  clearErrors(); // the read that ended the loop leaves "no start line" / "not enough data"
  return out;
}

/** Frees certificates returned by {@link readCertificates}. */
export function freeCertificates(certs: readonly Ptr[]): void {
  if (certs.length === 0) return;
  const { crypto } = native('freeCertificates');
  for (const x of certs) {
    crypto.X509_free(x);
    freed('X509');
  }
}

/** Runs `body` with the certificates of `src`, freeing them afterwards whatever happens. */
export function withCertificates<T>(who: string, src: SourceBytes, body: (certs: Ptr[]) => T): T {
  const certs = readCertificates(who, src);
  try {
    return body(certs);
  } finally {
    freeCertificates(certs);
  }
}
