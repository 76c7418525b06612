/**
 * Loading identities (certificate chains, private keys), trust (verify sources) and the CA names a
 * server suggests, into contexts or listeners.
 *
 * @module
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { native, clearErrors } from '../ffi/native.js';
import { created, freed } from '../ffi/objects.js';
import { SslError } from '../errors.js';
import { assertBytes, assertKnownOptions, assertPath, typeError } from '../assert.js';
import { contextOf, opensslFailure, type ContextOptions, type ContextState, type SslContext } from './context.js';
import { sslDefaultVerifySources, type VerifySource } from './verify-sources.js';
import type { SslListener } from '../entry/server.js';

const EVP_PKEY_RSA = 6;
const EVP_PKEY_RSA_PSS = 912;

/**
 * Loads a PEM certificate chain (leaf first) as the identity of a context or listener; replaces any
 * earlier chain.
 *
 * @example
 * ```ts
 * import { sslMakeServerContext, sslLoadCertificateChain, sslLoadPrivateKey } from 'openssl-ports';
 * const ctx = sslMakeServerContext();
 * sslLoadCertificateChain(ctx, 'certs/test.pem');
 * sslLoadPrivateKey(ctx, 'certs/test.pem');
 * ```
 */
export function sslLoadCertificateChain(contextOrListener: SslContext | SslListener, pathname: string): void {
  const who = 'sslLoadCertificateChain';
  const ctx = contextOf(who, contextOrListener, { listener: true });
  assertPath(who, 'pathname', pathname);
  ctx.assertMutable(who);
  clearErrors();
  if (native(who).ssl.SSL_CTX_use_certificate_chain_file(ctx.ptr, pathname) !== 1) {
    throw opensslFailure(who, `cannot load certificate chain from ${pathname}`);
  }
}

/**
 * Loads the first private key from a file or from `['data', bytes]`. With `rsa` (the default) the
 * first RSA key is used and other keys are skipped; with `asn1` the file is DER instead of PEM. A DER
 * file holds one key, so with `rsa` a DER EC (or other non-RSA) key is refused with an `SslError`, as
 * Racket's `SSL_CTX_use_RSAPrivateKey_file` refuses it; pass `rsa = false` for any key type.
 *
 * Deliberate difference: in a PEM file whose first key is not RSA, the seed's text ("non-RSA keys are
 * skipped") is followed and a later RSA key is loaded; Racket 8.7's implementation fails there instead.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sslMakeServerContext, sslLoadPrivateKey } from 'openssl-ports';
 * const ctx = sslMakeServerContext();
 * sslLoadPrivateKey(ctx, 'certs/server-ecdsa.key', false);
 * sslLoadPrivateKey(ctx, ['data', readFileSync('certs/test.pem')]);
 * ```
 */
export function sslLoadPrivateKey(
  contextOrListener: SslContext | SslListener,
  pathOrData: string | ['data', Uint8Array],
  rsa: unknown = true,
  asn1: unknown = false,
): void {
  const who = 'sslLoadPrivateKey';
  const ctx = contextOf(who, contextOrListener, { listener: true });
  let bytes: Buffer;
  let what: string;
  if (typeof pathOrData === 'string') {
    assertPath(who, 'pathOrData', pathOrData);
    what = pathOrData;
    bytes = readFileFor(who, pathOrData);
  } else if (Array.isArray(pathOrData) && pathOrData.length === 2 && pathOrData[0] === 'data') {
    assertBytes(who, "pathOrData's data", pathOrData[1]);
    if (asn1) throw new RangeError(`${who}: asn1 parsing is only supported for a path, not for ['data', bytes]`);
    what = 'data';
    bytes = Buffer.from(pathOrData[1]);
    if (bytes.length === 0) throw new RangeError(`${who}: pathOrData's key data is empty`);
  } else {
    throw typeError(who, 'pathOrData', "a path or ['data', bytes]", pathOrData);
  }
  ctx.assertMutable(who);
  useKey(who, ctx, bytes, Boolean(rsa), Boolean(asn1), what);
}

function readFileFor(who: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? null;
    throw new SslError(`${who}: cannot read ${path} (${code ?? (e as Error).message})`, { code, cause: e });
  }
}

function useKey(who: string, ctx: ContextState, bytes: Buffer, rsa: boolean, asn1: boolean, what: string): void {
  const { crypto, ssl } = native(who);
  // An empty Buffer reaches C as NULL, which OpenSSL reports as "passed a null parameter".
  if (bytes.length === 0) throw new SslError(`${who}: no private key found in ${what} (it is empty)`, { code: 'ERR_SSL_EMPTY_KEY' });
  clearErrors();
  const bio = created('BIO', crypto.BIO_new_mem_buf(bytes, bytes.length));
  if (!bio) throw opensslFailure(who, 'out of memory');
  let key = 0;
  let skipped = 0;
  try {
    for (;;) {
      key = asn1 ? crypto.d2i_PrivateKey_bio(bio, 0) : crypto.PEM_read_bio_PrivateKey(bio, 0, 0, 0);
      if (!key) break;
      created('EVP_PKEY', key);
      const id = crypto.EVP_PKEY_get_base_id(key);
      if (!rsa || id === EVP_PKEY_RSA || id === EVP_PKEY_RSA_PSS) break;
      // Not RSA: skip it, as the seed says (a DER file holds one key, so there it is refused).
      crypto.EVP_PKEY_free(key);
      freed('EVP_PKEY');
      key = 0;
      skipped++;
    }
  } finally {
    crypto.BIO_free(bio);
    freed('BIO');
  }
  if (!key && skipped > 0) {
    clearErrors(); // the failed read past the last key says nothing useful
    throw new SslError(`${who}: no RSA private key found in ${what} (${skipped} non-RSA key${skipped > 1 ? 's' : ''} skipped; pass rsa = false to load any key type)`, {
      status: 'ssl',
      code: 'ERR_SSL_NO_RSA_KEY',
    });
  }
  if (!key) throw opensslFailure(who, `no ${rsa ? 'RSA ' : ''}private key found in ${what}`);
  try {
    if (ssl.SSL_CTX_use_PrivateKey(ctx.ptr, key) !== 1) throw opensslFailure(who, `cannot use the private key from ${what}`);
  } finally {
    crypto.EVP_PKEY_free(key); // the context holds its own reference
    freed('EVP_PKEY');
  }
  clearErrors();
}

/** @internal applies the `privateKey` and `certificateChain` options of the context constructors. */
export function applyCredentials(who: string, ctx: ContextState, options: ContextOptions): void {
  const { privateKey, certificateChain } = options;
  if (certificateChain !== undefined && certificateChain !== null) {
    assertPath(who, 'certificateChain', certificateChain);
    clearErrors();
    if (native(who).ssl.SSL_CTX_use_certificate_chain_file(ctx.ptr, certificateChain) !== 1) {
      throw opensslFailure(who, `cannot load certificate chain from ${certificateChain}`);
    }
  }
  if (privateKey === undefined || privateKey === null) return;
  if (!Array.isArray(privateKey) || privateKey.length !== 2) {
    throw typeError(who, 'privateKey', "['pem', path], ['pem-data', bytes] or ['der', path]", privateKey);
  }
  const [kind, value] = privateKey;
  if (kind === 'pem' || kind === 'der') {
    assertPath(who, 'privateKey path', value);
    useKey(who, ctx, readFileFor(who, value), false, kind === 'der', value);
  } else if (kind === 'pem-data') {
    assertBytes(who, 'privateKey data', value);
    if (value.length === 0) throw new RangeError(`${who}: privateKey's key data is empty`);
    useKey(who, ctx, Buffer.from(value), false, false, 'pem-data');
  } else {
    throw new RangeError(`${who}: privateKey kind must be 'pem', 'pem-data' or 'der', got ${JSON.stringify(kind)}`);
  }
}

/**
 * Options of {@link sslLoadVerifySource}.
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, sslLoadVerifySource, sslSetVerify, sslSetVerifyHostname } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * sslLoadVerifySource(ctx, 'certs/root-ca.pem');
 * sslLoadVerifySource(ctx, '/etc/ssl/optional-extra-ca.pem', { try: true }); // no error if it is missing
 * sslSetVerify(ctx, true);
 * sslSetVerifyHostname(ctx, true);
 * ```
 */
export interface LoadVerifySourceOptions {
  /** Ignore a source that cannot be loaded instead of throwing. */
  try?: boolean;
}

const VERIFY_SOURCE_OPTIONS: Record<keyof LoadVerifySourceOptions, true> = { try: true };

function loadSource(who: string, ctx: ContextState, src: VerifySource): void {
  const { ssl } = native(who);
  clearErrors();
  if (typeof src === 'string') {
    assertPath(who, 'src', src);
    if (ssl.SSL_CTX_load_verify_locations(ctx.ptr, src, null) !== 1) throw opensslFailure(who, `cannot load verify source ${src}`);
    return;
  }
  if (!Array.isArray(src) || src.length !== 2) {
    throw typeError(who, 'src', "a path, ['directory', dir], ['win32-store', name] or ['macosx-keychain', path | null]", src);
  }
  const [kind, value] = src;
  if (kind === 'directory') {
    assertPath(who, 'directory', value);
    if (!existsSync(value) || !statSync(value).isDirectory()) {
      throw new SslError(`${who}: verify source directory ${value} does not exist`, { code: 'ENOENT' });
    }
    if (ssl.SSL_CTX_load_verify_locations(ctx.ptr, null, value) !== 1) throw opensslFailure(who, `cannot use directory ${value}`);
    return;
  }
  if (kind === 'win32-store') {
    if (typeof value !== 'string') throw typeError(who, 'win32-store name', 'a string', value);
    throw new SslError(`${who}: ['win32-store', ${JSON.stringify(value)}] is only supported on Windows`, { code: 'ERR_SSL_PLATFORM' });
  }
  if (kind === 'macosx-keychain') {
    if (value !== null && typeof value !== 'string') throw typeError(who, 'macosx-keychain path', 'a path or null', value);
    throw new SslError(`${who}: ['macosx-keychain', …] is only supported on macOS`, { code: 'ERR_SSL_PLATFORM' });
  }
  throw new RangeError(`${who}: unknown verify source kind ${JSON.stringify(kind)}`);
}

/**
 * Adds trusted certificates to a context: a PEM file (loaded now), or `['directory', dir]` of hashed
 * PEM files (searched lazily, see `openssl rehash`). With `{ try: true }` a failure is ignored.
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, sslLoadVerifySource, sslSetVerify, sslSetVerifyHostname } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * sslLoadVerifySource(ctx, 'certs/root-ca.pem');
 * sslLoadVerifySource(ctx, ['directory', '/etc/ssl/certs'], { try: true });
 * // Trust alone verifies nothing: a context from sslMakeClientContext checks only when told to.
 * sslSetVerify(ctx, true);
 * sslSetVerifyHostname(ctx, true);
 * ```
 */
export function sslLoadVerifySource(context: SslContext, src: VerifySource, options: LoadVerifySourceOptions = {}): void {
  const who = 'sslLoadVerifySource';
  const ctx = contextOf(who, context);
  const opts = assertKnownOptions(who, options, VERIFY_SOURCE_OPTIONS) as LoadVerifySourceOptions;
  ctx.assertMutable(who);
  try {
    loadSource(who, ctx, src);
  } catch (e) {
    clearErrors();
    if (opts.try && !(e instanceof TypeError) && !(e instanceof RangeError)) return;
    throw e;
  }
}

/**
 * Loads every source of {@link sslDefaultVerifySources} into a context, ignoring those that fail.
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, sslLoadDefaultVerifySources, sslSetVerify, sslSetVerifyHostname } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * sslLoadDefaultVerifySources(ctx);
 * sslSetVerify(ctx, true);
 * sslSetVerifyHostname(ctx, true);
 * ```
 */
export function sslLoadDefaultVerifySources(context: SslContext): void {
  const who = 'sslLoadDefaultVerifySources';
  const ctx = contextOf(who, context);
  ctx.assertMutable(who);
  for (const src of sslDefaultVerifySources()) {
    try {
      loadSource(who, ctx, src);
    } catch {
      clearErrors();
    }
  }
}

/**
 * Loads trusted root certificates from a PEM file (deprecated in Racket; the Chicken egg's form also
 * takes a hashed directory: `sslLoadVerifyRootCertificates(ctx, null, dir)`).
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, sslLoadVerifyRootCertificates, sslSetVerify, sslSetVerifyHostname } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * sslLoadVerifyRootCertificates(ctx, 'certs/root-ca.pem');
 * sslLoadVerifyRootCertificates(ctx, null, 'certs/ca-dir');
 * sslSetVerify(ctx, true); // trust alone verifies nothing
 * sslSetVerifyHostname(ctx, true);
 * ```
 */
export function sslLoadVerifyRootCertificates(contextOrListener: SslContext | SslListener, pathname: string | null, dirname: string | null = null): void {
  const who = 'sslLoadVerifyRootCertificates';
  const ctx = contextOf(who, contextOrListener, { listener: true });
  if (pathname === null && dirname === null) throw new TypeError(`${who}: give a pathname, a dirname or both`);
  if (pathname !== null) assertPath(who, 'pathname', pathname);
  if (dirname !== null) assertPath(who, 'dirname', dirname);
  ctx.assertMutable(who);
  if (pathname !== null) loadSource(who, ctx, pathname);
  if (dirname !== null) loadSource(who, ctx, ['directory', dirname]);
}

/**
 * Sets the CA names a server sends in its CertificateRequest, as a hint to clients of which
 * certificates it accepts. This does not make them trusted.
 *
 * @example
 * ```ts
 * import { sslMakeServerContext, sslLoadSuggestedCertificateAuthorities } from 'openssl-ports';
 * const ctx = sslMakeServerContext();
 * sslLoadSuggestedCertificateAuthorities(ctx, 'certs/root-ca.pem');
 * ```
 */
export function sslLoadSuggestedCertificateAuthorities(contextOrListener: SslContext | SslListener, pathname: string): void {
  const who = 'sslLoadSuggestedCertificateAuthorities';
  const ctx = contextOf(who, contextOrListener, { listener: true });
  assertPath(who, 'pathname', pathname);
  ctx.assertMutable(who);
  const { ssl } = native(who);
  clearErrors();
  const names = ssl.SSL_load_client_CA_file(pathname);
  if (!names) throw opensslFailure(who, `cannot load certificate names from ${pathname}`);
  ssl.SSL_CTX_set_client_CA_list(ctx.ptr, names); // the context takes ownership
  clearErrors();
}

/**
 * Sets the cipher suites (TLS 1.2 and below) a context may use, in `openssl ciphers` syntax.
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, sslSetCiphers } from 'openssl-ports';
 * const ctx = sslMakeClientContext('tls12');
 * sslSetCiphers(ctx, 'ECDHE+AESGCM');
 * ```
 */
export function sslSetCiphers(context: SslContext, cipherSpec: string): void {
  const who = 'sslSetCiphers';
  const ctx = contextOf(who, context);
  if (typeof cipherSpec !== 'string') throw typeError(who, 'cipherSpec', 'a string', cipherSpec);
  ctx.assertMutable(who);
  clearErrors();
  if (native(who).ssl.SSL_CTX_set_cipher_list(ctx.ptr, cipherSpec) !== 1) throw opensslFailure(who, `no cipher matches ${JSON.stringify(cipherSpec)}`);
}
