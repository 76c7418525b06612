/**
 * Finding and loading OpenSSL: the system `libssl`/`libcrypto` (with deep binding, so that their calls
 * never bind into the copy of OpenSSL inside Node's own binary), or, where that is impossible, Node's
 * embedded OpenSSL through `koffi.load(null)`.
 *
 * The choice can be forced with the environment variable `OPENSSL_PORTS_LIB`:
 * `system` (only the system library), `node` (only Node's embedded copy) or `auto` (the default).
 *
 * @module
 */
import { koffi, koffiLoadError } from './koffi.js';

/**
 * A koffi library handle: declare further OpenSSL functions on it with `.func(...)`.
 *
 * @example
 * ```ts
 * import { libcrypto, type KoffiLibrary } from 'openssl-ports/libcrypto';
 * const lib: KoffiLibrary = libcrypto!;
 * const versionNumber = lib.func('unsigned long OpenSSL_version_num(void)');
 * console.log(versionNumber().toString(16)); // '30000130'
 * ```
 */
export type KoffiLibrary = ReturnType<typeof import('koffi').load>;

/** koffi's `load`, with the options argument its typings omit. */
function loadLibrary(path: string | null, options?: { deep?: boolean }): KoffiLibrary {
  if (!koffi) throw new Error(koffiLoadError ?? 'koffi is not loaded');
  const load = koffi.load as unknown as (path: string | null, options?: { deep?: boolean }) => KoffiLibrary;
  return options === undefined ? load(path) : load(path, options);
}

/** Where the OpenSSL in use comes from. */
export type OpensslSource = 'system' | 'node';

/** The smallest OpenSSL accepted: 3.0.0 (`OPENSSL_VERSION_NUMBER` layout `0xMNN00PP0L`). */
const MIN_VERSION_NUMBER = 0x30000000;

/**
 * The versions tried, in order, when loading the system "libcrypto" and "libssl"; each is the suffix of
 * the shared library's file name (`''` means the unversioned name, e.g. `libssl.so`).
 */
export const opensslLibVersions: readonly string[] = Object.freeze(
  process.platform === 'darwin' ? ['3', ''] : process.platform === 'win32' ? ['3-x64', '3'] : ['3', ''],
);

function fileName(base: 'ssl' | 'crypto', version: string): string {
  if (process.platform === 'darwin') return version ? `lib${base}.${version}.dylib` : `lib${base}.dylib`;
  if (process.platform === 'win32') return `lib${base}-${version}.dll`;
  return version ? `lib${base}.so.${version}` : `lib${base}.so`;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The major, minor and patch numbers of an `OpenSSL_version_num` (laid out `0xMNN00PP0L`).
 *
 * @example
 * ```ts
 * versionParts(0x300000e0); // [3, 0, 14]
 * ```
 */
export function versionParts(n: number): [major: number, minor: number, patch: number] {
  return [Math.floor(n / 0x10000000), Math.floor(n / 0x100000) & 0xff, Math.floor(n / 0x10) & 0xff];
}

function versionText(n: number): string {
  return versionParts(n).join('.');
}

interface Loaded {
  crypto: KoffiLibrary;
  ssl: KoffiLibrary;
  source: OpensslSource;
  file: string;
}

/** Checks a candidate's version: OpenSSL 3.x only, with the reason an older one is refused. */
function checkVersion(crypto: KoffiLibrary, where: string): void {
  const versionNum = crypto.func('unsigned long OpenSSL_version_num()') as () => number;
  const n = Number(versionNum());
  if (n < MIN_VERSION_NUMBER) {
    throw new Error(
      `${where} is OpenSSL ${versionText(n)}; openssl-ports needs OpenSSL 3.x ` +
        '(1.1.1 and older lack the provider API, the 3.x error codes and are out of support)',
    );
  }
}

function loadSystem(): Loaded {
  const reasons: string[] = [];
  for (const version of opensslLibVersions) {
    const cryptoFile = fileName('crypto', version);
    const sslFile = fileName('ssl', version);
    try {
      // RTLD_DEEPBIND: symbols resolve inside the library (and its dependencies) before the global scope,
      // which would otherwise offer the ~1,700 OpenSSL symbols exported by the node binary itself.
      const crypto = loadLibrary(cryptoFile, { deep: true });
      checkVersion(crypto, cryptoFile);
      const ssl = loadLibrary(sslFile, { deep: true });
      return { crypto, ssl, source: 'system', file: sslFile };
    } catch (e) {
      reasons.push(`${sslFile}: ${describe(e)}`);
    }
  }
  throw new Error(`no usable system OpenSSL (${reasons.join('; ')})`);
}

function loadEmbedded(): Loaded {
  const self = loadLibrary(null);
  try {
    checkVersion(self, "Node's embedded OpenSSL");
  } catch (e) {
    throw new Error(`Node's embedded OpenSSL is not usable (${describe(e)})`);
  }
  return { crypto: self, ssl: self, source: 'node', file: process.execPath };
}

interface LoadResult {
  loaded: Loaded | null;
  reason: string | null;
}

function load(): LoadResult {
  if (!koffi) return { loaded: null, reason: koffiLoadError };
  const wanted = (process.env.OPENSSL_PORTS_LIB ?? 'auto').toLowerCase();
  if (wanted !== 'auto' && wanted !== 'system' && wanted !== 'node') {
    return { loaded: null, reason: `OPENSSL_PORTS_LIB must be "auto", "system" or "node", not ${JSON.stringify(wanted)}` };
  }
  const attempts: Array<() => Loaded> =
    wanted === 'system' ? [loadSystem] : wanted === 'node' ? [loadEmbedded] : [loadSystem, loadEmbedded];
  const reasons: string[] = [];
  for (const attempt of attempts) {
    try {
      return { loaded: attempt(), reason: null };
    } catch (e) {
      reasons.push(describe(e));
    }
  }
  return { loaded: null, reason: reasons.join('; ') };
}

const result = load();

/** The loaded libcrypto handle, or `null`. */
export const cryptoLib: KoffiLibrary | null = result.loaded?.crypto ?? null;
/** The loaded libssl handle, or `null`. */
export const sslLib: KoffiLibrary | null = result.loaded?.ssl ?? null;
/** `'system'` or `'node'`, or `null` when nothing could be loaded. */
export const opensslSource: OpensslSource | null = result.loaded?.source ?? null;
/** The file the library was loaded from (the node binary itself for the embedded copy). */
export const opensslFile: string | null = result.loaded?.file ?? null;
/** Why loading failed, or `null`. */
export const loadFailReason: string | null = result.reason;
