/// <reference types="node" preserve="true" />
/**
 * `openssl-ports/legacy`: importing this module loads OpenSSL's legacy provider (MD4, RC4, DES …)
 * into the OpenSSL in use, next to the default provider. For the system OpenSSL the provider module
 * is first loaded with deep binding, so that it binds to the system libcrypto and not to Node's copy.
 * Where no legacy module exists, it warns once and does nothing else.
 *
 * @example
 * ```ts
 * import 'openssl-ports/legacy';
 * ```
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadLibraryDeep } from './ffi/load-deep.js';
import { crypto as C } from './ffi/bindings.js';
import { opensslSource } from './ffi/library.js';
import { clearErrors, drainErrors } from './ffi/native.js';

const OPENSSL_INFO_MODULES_DIR = 1003;

function warn(message: string): void {
  process.emitWarning(`openssl-ports/legacy: ${message}`, { code: 'OPENSSL_PORTS_NO_LEGACY' });
}

function loadLegacy(): boolean {
  if (!C) {
    warn('OpenSSL is not available');
    return false;
  }
  if (C.OSSL_PROVIDER_available(0, 'legacy') === 1) return true;
  const dir = process.env.OPENSSL_MODULES ?? C.OPENSSL_info(OPENSSL_INFO_MODULES_DIR);
  const ext = process.platform === 'darwin' ? '.dylib' : process.platform === 'win32' ? '.dll' : '.so';
  const file = dir ? join(dir, `legacy${ext}`) : null;
  if (opensslSource === 'system') {
    if (!file || !existsSync(file)) {
      warn(`no legacy provider module (${file ?? 'OpenSSL reports no modules directory'})`);
      return false;
    }
    try {
      loadLibraryDeep(file); // bind the module's libcrypto calls to the system libcrypto
    } catch (e) {
      warn(`cannot load ${file}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }
  clearErrors();
  // Loading a provider explicitly turns off the implicit default one: load both.
  const legacy = C.OSSL_PROVIDER_load(0, 'legacy');
  const dflt = C.OSSL_PROVIDER_load(0, 'default');
  if (!legacy || !dflt) {
    const reasons = drainErrors().map((e) => e.reason);
    warn(`OpenSSL could not load the legacy provider${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
    return false;
  }
  return true;
}

/**
 * Whether the legacy provider was loaded (false after an `OPENSSL_PORTS_NO_LEGACY` warning).
 *
 * @example
 * ```ts
 * import { legacyLoaded } from 'openssl-ports/legacy';
 * if (!legacyLoaded) console.error('MD4, RC4, DES… are not available');
 * ```
 */
export const legacyLoaded: boolean = loadLegacy();
