/**
 * Loading identities (certificate chains, private keys), trust (verify sources) and the CA names a
 * server suggests, into contexts or listeners. Every procedure takes files or bytes in memory, spelt
 * the same way everywhere (see {@link CertificateSource} and {@link PrivateKeySource}).
 *
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { native, clearErrors } from '../ffi/native.js';
import { created, freed } from '../ffi/objects.js';
import { SslError } from '../errors.js';
import { assertKnownOptions, assertPath, typeError } from '../assert.js';
import { contextOf, opensslFailure, type ContextOptions, type ContextState, type PrivateKeySource, type SslContext, type ContextTarget } from './context.js';
import { sslDefaultVerifySources, type VerifySource } from './verify-sources.js';
import {
  isTagged,
  sourceBytes,
  withCertificates,
  type CertificateData,
  type CertificateSource,
  type SourceBytes,
} from './certificate-data.js';

const EVP_PKEY_RSA = 6;
const EVP_PKEY_RSA_PSS = 912;
const SSL_CTRL_CHAIN = 88;
const SSL_CTRL_CHAIN_CERT = 89;

/** Loads a chain (leaf first) from a file or from memory as the identity of `ctx`, replacing any earlier one. */
function loadChain(who: string, ctx: ContextState, src: unknown, arg: string): void {
  const path = typeof src === 'string' ? src : isTagged(src, ['pem']) ? src[1] : undefined;
  if (path !== undefined) {
    assertPath(who, arg, path);
    ctx.assertMutable(who);
    clearErrors();
    if (native(who).ssl.SSL_CTX_use_certificate_chain_file(ctx.ptr, path) !== 1) {
      throw opensslFailure(who, `cannot load certificate chain from ${path}`);
    }
    return;
  }
  const bytes = sourceBytes(who, arg, src);
  ctx.assertMutable(who);
  const { ssl } = native(who);
  withCertificates(who, bytes, ([leaf, ...intermediates]) => {
    clearErrors();
    if (ssl.SSL_CTX_use_certificate(ctx.ptr, leaf!) !== 1) throw opensslFailure(who, `cannot use the certificate from ${bytes.what}`);
    ssl.SSL_CTX_ctrl(ctx.ptr, SSL_CTRL_CHAIN, 0, 0); // SSL_CTX_clear_chain_certs: the new chain replaces the old
    for (const x of intermediates) {
      // SSL_CTX_add1_chain_cert: the context takes its own reference
      if (ssl.SSL_CTX_ctrl(ctx.ptr, SSL_CTRL_CHAIN_CERT, 1, x) !== 1) throw opensslFailure(who, `cannot add a chain certificate from ${bytes.what}`);
    }
  });
}

/** @internal `sslLoadCertificateChain` on a context (or a listener, through the context it carries); see src/api/credentials.ts. */
export function loadCertificateChain(contextOrListener: ContextTarget, pathname: CertificateSource): void {
  const who = 'sslLoadCertificateChain';
  const ctx = contextOf(who, contextOrListener, { listener: true });
  loadChain(who, ctx, pathname, 'pathname');
}

/** @internal `sslLoadPrivateKey` on a context (or a listener, through the context it carries); see src/api/credentials.ts. */
export function loadPrivateKey(
  contextOrListener: ContextTarget,
  pathOrData: string | ['data', Uint8Array | string] | PrivateKeySource,
  rsa: unknown = true,
  asn1: unknown = false,
): void {
  const who = 'sslLoadPrivateKey';
  const ctx = contextOf(who, contextOrListener, { listener: true });
  let src: SourceBytes;
  if (typeof pathOrData === 'string') {
    src = sourceBytes(who, 'pathOrData', pathOrData);
    src.der = Boolean(asn1);
  } else if (isTagged(pathOrData, ['data'])) {
    if (asn1) throw new RangeError(`${who}: asn1 parsing is only supported for a path or ['der-data', bytes], not for ['data', bytes]`);
    src = sourceBytes(who, 'pathOrData', ['pem-data', pathOrData[1]], 'key');
  } else if (isTagged(pathOrData, ['pem', 'pem-data', 'der', 'der-data'])) {
    src = sourceBytes(who, 'pathOrData', pathOrData, 'key');
    if (asn1 && !src.der) throw new RangeError(`${who}: asn1 is set but pathOrData is ['${pathOrData[0]}', …] (PEM)`);
  } else {
    throw typeError(who, 'pathOrData', "a path, ['data', bytes], ['pem', path], ['pem-data', bytes], ['der', path] or ['der-data', bytes]", pathOrData);
  }
  ctx.assertMutable(who);
  useKey(who, ctx, src.bytes, Boolean(rsa), src.der, src.what);
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
  const { certificateChain } = options;
  const privateKey: unknown = options.privateKey;
  if (certificateChain !== undefined && certificateChain !== null) loadChain(who, ctx, certificateChain, 'certificateChain');
  if (privateKey === undefined || privateKey === null) return;
  if (!isTagged(privateKey, ['pem', 'pem-data', 'der', 'der-data'])) {
    if (Array.isArray(privateKey) && privateKey.length === 2 && typeof privateKey[0] === 'string') {
      throw new RangeError(`${who}: privateKey kind must be 'pem', 'pem-data', 'der' or 'der-data', got ${JSON.stringify(privateKey[0])}`);
    }
    throw typeError(who, 'privateKey', "['pem', path], ['pem-data', bytes], ['der', path] or ['der-data', bytes]", privateKey);
  }
  const src = sourceBytes(who, 'privateKey', privateKey, 'key');
  useKey(who, ctx, src.bytes, false, src.der, src.what);
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

function loadSource(who: string, ctx: ContextState, source: VerifySource | CertificateData): void {
  const src: unknown = source;
  const { ssl, crypto } = native(who);
  clearErrors();
  if (isTagged(src, ['pem-data', 'der-data'])) {
    const bytes = sourceBytes(who, 'src', src);
    const store = ssl.SSL_CTX_get_cert_store(ctx.ptr); // owned by the context
    withCertificates(who, bytes, (certs) => {
      for (const x of certs) {
        // X509_STORE_add_cert takes its own reference (and ignores a certificate it already holds)
        if (crypto.X509_STORE_add_cert(store, x) !== 1) throw opensslFailure(who, `cannot add a trusted certificate from ${bytes.what}`);
      }
    });
    return;
  }
  if (typeof src === 'string') {
    assertPath(who, 'src', src);
    if (ssl.SSL_CTX_load_verify_locations(ctx.ptr, src, null) !== 1) throw opensslFailure(who, `cannot load verify source ${src}`);
    return;
  }
  if (!Array.isArray(src) || src.length !== 2) {
    throw typeError(who, 'src', "a path, ['directory', dir], ['pem-data', bytes], ['der-data', bytes], ['win32-store', name] or ['macosx-keychain', path | null]", src);
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
 * Adds trusted certificates to a context: a PEM file (loaded now), `['directory', dir]` of hashed
 * PEM files (searched lazily, see `openssl rehash`), or certificates in memory (`['pem-data', bytes |
 * string]`, `['der-data', bytes]`, loaded now). With `{ try: true }` a failure is ignored.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sslMakeClientContext, sslLoadVerifySource, sslSetVerify, sslSetVerifyHostname } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * sslLoadVerifySource(ctx, 'certs/root-ca.pem');
 * sslLoadVerifySource(ctx, ['pem-data', readFileSync('certs/root-ca.pem')]);
 * sslLoadVerifySource(ctx, ['directory', '/etc/ssl/certs'], { try: true });
 * // Trust alone verifies nothing: a context from sslMakeClientContext checks only when told to.
 * sslSetVerify(ctx, true);
 * sslSetVerifyHostname(ctx, true);
 * ```
 */
export function sslLoadVerifySource(context: SslContext, src: VerifySource | CertificateData, options: LoadVerifySourceOptions = {}): void {
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

/** @internal `sslLoadVerifyRootCertificates` on a context (or a listener, through the context it carries); see src/api/credentials.ts. */
export function loadVerifyRootCertificates(contextOrListener: ContextTarget, pathname: string | null, dirname: string | null = null): void {
  const who = 'sslLoadVerifyRootCertificates';
  const ctx = contextOf(who, contextOrListener, { listener: true });
  if (pathname === null && dirname === null) throw new TypeError(`${who}: give a pathname, a dirname or both`);
  if (pathname !== null) assertPath(who, 'pathname', pathname);
  if (dirname !== null) assertPath(who, 'dirname', dirname);
  ctx.assertMutable(who);
  if (pathname !== null) loadSource(who, ctx, pathname);
  if (dirname !== null) loadSource(who, ctx, ['directory', dirname]);
}

/** @internal `sslLoadSuggestedCertificateAuthorities` on a context (or a listener, through the context it carries); see src/api/credentials.ts. */
export function loadSuggestedCertificateAuthorities(contextOrListener: ContextTarget, pathname: CertificateSource): void {
  const who = 'sslLoadSuggestedCertificateAuthorities';
  const ctx = contextOf(who, contextOrListener, { listener: true });
  if (typeof pathname !== 'string') {
    const bytes = sourceBytes(who, 'pathname', pathname);
    ctx.assertMutable(who);
    const { ssl, crypto } = native(who);
    withCertificates(who, bytes, (certs) => {
      clearErrors();
      const names = crypto.OPENSSL_sk_new_null();
      if (!names) throw opensslFailure(who, 'out of memory');
      ssl.SSL_CTX_set_client_CA_list(ctx.ptr, names); // the context takes ownership of the (empty) list
      for (const x of certs) {
        // copies the subject name into the context's list
        if (ssl.SSL_CTX_add_client_CA(ctx.ptr, x) !== 1) throw opensslFailure(who, `cannot add a certificate name from ${bytes.what}`);
      }
    });
    return;
  }
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
