/**
 * The peer's certificate: who it names (subject, issuer, hostnames), whether it verified, and the
 * certificate itself as Node's `X509Certificate`.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { native, clearErrors, type Native } from '../ffi/native.js';
import { created, freed } from '../ffi/objects.js';
import type { Ptr } from '../ffi/bindings.js';
import { connectionOf } from '../engine/registry.js';
import { assertHostname } from '../assert.js';
import type { SslPort } from '../ports/ports.js';

const NID_commonName = 13;
const X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS = 0x4;

/** Runs `body` with the peer's certificate (an owned `X509 *`, freed afterwards), or returns `none`. */
export function withPeerCertificate<T>(who: string, port: unknown, none: T, body: (x: Ptr, n: Native) => T): T {
  const conn = connectionOf(who, port);
  const s = conn.sslPtr(who);
  const n = native(who);
  const x = created('X509', n.ssl.SSL_get1_peer_certificate(s));
  if (!x) return none;
  try {
    return body(x, n);
  } finally {
    n.crypto.X509_free(x);
    freed('X509');
  }
}

function oneline(n: Native, name: Ptr): Buffer {
  const buf = Buffer.alloc(8192);
  n.crypto.X509_NAME_oneline(name, buf, buf.length);
  const end = buf.indexOf(0);
  return Buffer.from(buf.subarray(0, end < 0 ? buf.length : end));
}

/** Converts an `X509 *` to Node's `X509Certificate` (through PEM). */
export function toNodeCertificate(n: Native, x: Ptr): X509Certificate {
  const bio = created('BIO', n.crypto.BIO_new(n.crypto.BIO_s_mem()));
  try {
    n.crypto.PEM_write_bio_X509(bio, x);
    const len = n.crypto.BIO_ctrl_pending(bio);
    const pem = Buffer.alloc(len);
    n.crypto.BIO_read(bio, pem, len);
    return new X509Certificate(pem);
  } finally {
    n.crypto.BIO_free(bio);
    freed('BIO');
  }
}

/**
 * Whether the peer presented a certificate that verified against the trusted roots. As in Racket's
 * implementation this is OpenSSL's verification result, also when verification was not requested:
 * a client verifies the server's chain in every handshake (against the roots its context trusts) and
 * only aborts on failure when verification is on, so a client context with trusted roots and no
 * `sslSetVerify` still answers true for a valid chain. The hostname is not part of it (see
 * `sslPeerCheckHostname`). A server sees a client certificate only when it asks for one
 * (`sslSetVerify`/`sslTryVerify`).
 *
 * @example
 * ```ts
 * import { sslPeerVerified } from 'openssl-ports';
 * if (!sslPeerVerified(input)) output.end('who are you?\n');
 * ```
 */
export function sslPeerVerified(port: SslPort): boolean {
  const who = 'sslPeerVerified';
  const conn = connectionOf(who, port);
  conn.sslPtr(who);
  return conn.peerVerified();
}

/**
 * The subject of the peer's certificate in OpenSSL's one-line form (e.g.
 * `/C=US/O=Example/CN=client.example.com`), or null when the peer sent no certificate.
 *
 * Deliberate difference from the seed's text, which says null unless `sslPeerVerified` is true: as
 * Racket's implementation does (it reads `SSL_get_peer_certificate` whatever the verification result,
 * and its own `peer-verif.rkt` test expects the server's names on a client that did not verify), the
 * name is returned whenever the peer presented a certificate, verified or not. Check
 * {@link sslPeerVerified} before trusting it.
 *
 * @example
 * ```ts
 * import { sslPeerSubjectName } from 'openssl-ports';
 * sslPeerSubjectName(input)?.toString(); // '/C=US/O=openssl-ports tests/CN=localhost'
 * ```
 */
export function sslPeerSubjectName(port: SslPort): Buffer | null {
  return withPeerCertificate('sslPeerSubjectName', port, null, (x, n) => oneline(n, n.crypto.X509_get_subject_name(x)));
}

/**
 * The issuer of the peer's certificate in OpenSSL's one-line form, or null without a certificate.
 * Like {@link sslPeerSubjectName}, returned whenever the peer presented a certificate, verified or
 * not (Racket's implementation; the seed's text says only for a verified one).
 *
 * @example
 * ```ts
 * import { sslPeerIssuerName } from 'openssl-ports';
 * sslPeerIssuerName(input)?.toString(); // '/C=US/O=openssl-ports tests/CN=openssl-ports Test Intermediate CA'
 * ```
 */
export function sslPeerIssuerName(port: SslPort): Buffer | null {
  return withPeerCertificate('sslPeerIssuerName', port, null, (x, n) => oneline(n, n.crypto.X509_get_issuer_name(x)));
}

/** Splits Node's `subjectAltName` text ("DNS:a, IP Address:1.2.3.4, DNS:\"x, y\"") into entries. */
function altNames(text: string | undefined): Array<[string, string]> {
  if (!text) return [];
  const out: Array<[string, string]> = [];
  const re = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let value = m[2]!;
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    out.push([m[1]!, value]);
  }
  return out;
}

/**
 * The DNS names the peer's certificate is valid for (subjectAltName DNS entries, else the subject's
 * common name), patterns such as `*.example.com` included; `[]` without a certificate.
 *
 * @example
 * ```ts
 * import { sslPeerCertificateHostnames } from 'openssl-ports';
 * sslPeerCertificateHostnames(input); // ['localhost']
 * ```
 */
export function sslPeerCertificateHostnames(port: SslPort): string[] {
  return withPeerCertificate('sslPeerCertificateHostnames', port, [] as string[], (x, n) => {
    const cert = toNodeCertificate(n, x);
    const dns = altNames(cert.subjectAltName)
      .filter(([k]) => k === 'DNS')
      .map(([, v]) => v);
    if (dns.length > 0) return dns;
    const buf = Buffer.alloc(1024);
    const len = n.crypto.X509_NAME_get_text_by_NID(n.crypto.X509_get_subject_name(x), NID_commonName, buf, buf.length);
    clearErrors();
    return len > 0 ? [buf.toString('utf8', 0, len)] : [];
  });
}

/**
 * Whether the peer's certificate is valid for `hostname`, by OpenSSL's own matching (RFC 6125
 * wildcards; IP literals are matched against IP address entries).
 *
 * @example
 * ```ts
 * import { sslPeerCheckHostname } from 'openssl-ports';
 * sslPeerCheckHostname(input, 'localhost'); // true
 * sslPeerCheckHostname(input, '127.0.0.1'); // true
 * ```
 */
export function sslPeerCheckHostname(port: SslPort, hostname: string): boolean {
  const who = 'sslPeerCheckHostname';
  assertHostname(who, 'hostname', hostname);
  return withPeerCertificate(who, port, false, (x, n) => {
    // OpenSSL reads a leading dot as "any subdomain of" ('.example.com' would match '*.example.com'):
    // such a string is not a hostname, and no certificate is valid for it.
    if (hostname.startsWith('.')) return false;
    const r = isIP(hostname)
      ? n.crypto.X509_check_ip_asc(x, hostname, 0)
      : n.crypto.X509_check_host(x, hostname, Buffer.byteLength(hostname), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, 0);
    clearErrors();
    return r === 1;
  });
}

/**
 * The peer's certificate as Node's `X509Certificate`, or null when it sent none (Gerbil's
 * `peer-certificate`).
 *
 * @example
 * ```ts
 * import { sslPeerCertificate } from 'openssl-ports';
 * console.log(sslPeerCertificate(input)?.fingerprint256);
 * ```
 */
export function sslPeerCertificate(port: SslPort): X509Certificate | null {
  return withPeerCertificate<X509Certificate | null>('sslPeerCertificate', port, null, (x, n) => toNodeCertificate(n, x));
}
