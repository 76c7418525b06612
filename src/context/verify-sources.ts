/**
 * The default verification sources (`ssl-default-verify-sources`): on Linux the file `SSL_CERT_FILE`
 * and the directories of `SSL_CERT_DIR` (`:`-separated), each variable replacing only its own default
 * (the file and directory the OpenSSL in use was built with), as OpenSSL and Racket read them.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { native, available } from '../ffi/native.js';
import { typeError } from '../assert.js';

/**
 * A verification source: a PEM file of trusted certificates, a hashed directory of them (searched
 * lazily, as `c_rehash`/`openssl rehash` lay it out), or a system store.
 *
 * @example
 * ```ts
 * import { sslDefaultVerifySources, type VerifySource } from 'openssl-ports';
 * const sources: VerifySource[] = ['certs/root-ca.pem', ['directory', 'certs/ca-dir']];
 * sslDefaultVerifySources(sources); // what 'secure' contexts trust from now on
 * ```
 */
export type VerifySource = string | ['directory', string] | ['win32-store', string] | ['macosx-keychain', string | null];

/** Well-known system bundles, added when the OpenSSL in use points nowhere (Node's embedded copy). */
const DISTRO_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

function platformDefaults(): VerifySource[] {
  if (process.platform === 'win32') return [['win32-store', 'ROOT']];
  if (process.platform === 'darwin') return [['macosx-keychain', null]];
  const out: VerifySource[] = [];
  const envFile = process.env.SSL_CERT_FILE;
  const envDir = process.env.SSL_CERT_DIR;
  // Each variable stands for its own default, as in OpenSSL (X509_get_default_cert_file/_dir) and
  // Racket: one set leaves the other at the library's location. A variable set to '' means none.
  const crypto = available ? native('sslDefaultVerifySources').crypto : null;
  const file = envFile ?? crypto?.X509_get_default_cert_file() ?? '';
  const dirs = envDir ?? crypto?.X509_get_default_cert_dir() ?? '';
  if (file) out.push(file);
  for (const d of dirs.split(':')) if (d) out.push(['directory', d]);
  if (envFile !== undefined || envDir !== undefined) return out;
  const anyExists = out.some((s) => existsSync(typeof s === 'string' ? s : (s[1] ?? '')));
  if (!anyExists) for (const f of DISTRO_BUNDLES) if (existsSync(f)) out.push(f);
  return out;
}

let current: VerifySource[] | null = null;

function validate(list: unknown): VerifySource[] {
  const who = 'sslDefaultVerifySources';
  if (!Array.isArray(list)) throw typeError(who, 'srcs', 'an array of verify sources', list);
  return list.map((s, i) => {
    if (typeof s === 'string') return s;
    if (Array.isArray(s) && s.length === 2 && ['directory', 'win32-store', 'macosx-keychain'].includes(s[0])) {
      if (s[0] === 'macosx-keychain' ? s[1] !== null && typeof s[1] !== 'string' : typeof s[1] !== 'string') {
        throw typeError(who, `srcs[${i}]`, 'a verify source', s);
      }
      return [s[0], s[1]] as VerifySource;
    }
    throw typeError(who, `srcs[${i}]`, "a path, ['directory', dir], ['win32-store', name] or ['macosx-keychain', path | null]", s);
  });
}

/**
 * Reads (no argument) or sets (one argument) the default verification sources used by
 * `sslLoadDefaultVerifySources` and `sslSecureClientContext`.
 *
 * @example
 * ```ts
 * import { sslDefaultVerifySources } from 'openssl-ports';
 * sslDefaultVerifySources(); // ['/usr/lib/ssl/cert.pem', ['directory', '/usr/lib/ssl/certs']]
 * sslDefaultVerifySources(['certs/root-ca.pem']);
 * ```
 */
export function sslDefaultVerifySources(): VerifySource[];
export function sslDefaultVerifySources(srcs: VerifySource[]): void;
export function sslDefaultVerifySources(srcs?: VerifySource[]): VerifySource[] | void {
  if (arguments.length === 0) {
    current ??= platformDefaults();
    return current.map((s) => (typeof s === 'string' ? s : ([...s] as VerifySource)));
  }
  current = validate(srcs);
}

/**
 * @internal the default sources as a value: equal lists give equal keys (Racket compares them with
 * `equal?`), so setting an equal list again keeps the cached secure context.
 */
export function verifySourcesKey(): string {
  current ??= platformDefaults();
  return JSON.stringify(current);
}
