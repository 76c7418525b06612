/**
 * The credential loaders that take a context or a listener (the Racket 5.0 forms): the listener is
 * resolved to the server context it carries, then the context layer does the work.
 *
 * @module
 */
import type { SslContext, PrivateKeySource } from '../context/context.js';
import type { CertificateSource } from '../context/certificate-data.js';
import type { SslListener } from '../entry/server.js';
import {
  loadCertificateChain,
  loadPrivateKey,
  loadVerifyRootCertificates,
  loadSuggestedCertificateAuthorities,
} from '../context/credentials.js';

/**
 * Loads a certificate chain (leaf first) as the identity of a context or listener; replaces any
 * earlier chain. `pathname` is a PEM file, or any {@link CertificateSource}: `['der', path]`, or the
 * chain in memory as `['pem-data', bytes | string]` / `['der-data', bytes]`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sslMakeServerContext, sslLoadCertificateChain, sslLoadPrivateKey } from 'openssl-ports';
 * const ctx = sslMakeServerContext();
 * sslLoadCertificateChain(ctx, 'certs/test.pem');
 * sslLoadPrivateKey(ctx, 'certs/test.pem');
 * // or from memory (e.g. from a secret store):
 * sslLoadCertificateChain(ctx, ['pem-data', readFileSync('certs/server-rsa-chain.pem')]);
 * sslLoadPrivateKey(ctx, ['pem-data', readFileSync('certs/server-rsa.key')]);
 * ```
 */
export function sslLoadCertificateChain(contextOrListener: SslContext | SslListener, pathname: CertificateSource): void {
  loadCertificateChain(contextOrListener, pathname);
}

/**
 * Loads the first private key from a file, from `['data', bytes]` (PEM, as the seed spells it), or
 * from any {@link PrivateKeySource} (`['pem', path]`, `['pem-data', bytes | string]`, `['der', path]`,
 * `['der-data', bytes]`). With `rsa` (the default) the first RSA key of a PEM source is used and other
 * keys are skipped; with `asn1` a plain path is read as DER instead of PEM (tuples say their format).
 *
 * A DER key holds one key, so with `rsa` a DER EC (or other non-RSA) key is refused with an `SslError`,
 * as Racket's `SSL_CTX_use_RSAPrivateKey_file` refuses it; pass `rsa = false` for any key type.
 * Deliberate difference: in a PEM source whose first key is not RSA, the seed's text ("non-RSA keys are
 * skipped") is followed and a later RSA key is loaded; Racket 8.7's implementation fails there instead.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sslMakeServerContext, sslLoadPrivateKey } from 'openssl-ports';
 * const ctx = sslMakeServerContext();
 * sslLoadPrivateKey(ctx, 'certs/server-ecdsa.key', false);
 * sslLoadPrivateKey(ctx, ['data', readFileSync('certs/test.pem')]);
 * sslLoadPrivateKey(ctx, ['pem-data', readFileSync('certs/server-ecdsa.key', 'latin1')], false);
 * ```
 */
export function sslLoadPrivateKey(
  contextOrListener: SslContext | SslListener,
  pathOrData: string | ['data', Uint8Array | string] | PrivateKeySource,
  rsa: unknown = true,
  asn1: unknown = false,
): void {
  loadPrivateKey(contextOrListener, pathOrData, rsa, asn1);
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
  loadVerifyRootCertificates(contextOrListener, pathname, dirname);
}

/**
 * Sets the CA names a server sends in its CertificateRequest, as a hint to clients of which
 * certificates it accepts. This does not make them trusted. `pathname` is a PEM file or any
 * {@link CertificateSource} (e.g. `['pem-data', bytes]`); the list replaces any earlier one.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { sslMakeServerContext, sslLoadSuggestedCertificateAuthorities } from 'openssl-ports';
 * const ctx = sslMakeServerContext();
 * sslLoadSuggestedCertificateAuthorities(ctx, 'certs/root-ca.pem');
 * sslLoadSuggestedCertificateAuthorities(ctx, ['pem-data', readFileSync('certs/ca-bundle.pem')]);
 * ```
 */
export function sslLoadSuggestedCertificateAuthorities(contextOrListener: SslContext | SslListener, pathname: CertificateSource): void {
  loadSuggestedCertificateAuthorities(contextOrListener, pathname);
}
