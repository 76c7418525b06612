/**
 * The seed's protocol symbols and what each means for OpenSSL 3: the minimum and maximum protocol
 * versions and the security level a context needs to provide it.
 *
 * @module
 */
import { native } from '../ffi/native.js';

/**
 * A protocol symbol of the seed (`ssl-protocol-symbol/c`): `'secure'` (a verifying client context),
 * `'auto'` (any version OpenSSL allows), or one version.
 *
 * @example
 * ```ts
 * import { sslMakeClientContext, type SslProtocol } from 'openssl-ports';
 * const protocol: SslProtocol = 'tls13';
 * const ctx = sslMakeClientContext(protocol); // TLS 1.3 only
 * ```
 */
export type SslProtocol = 'secure' | 'auto' | 'sslv2-or-v3' | 'sslv2' | 'sslv3' | 'tls' | 'tls11' | 'tls12' | 'tls13';

/** Every protocol symbol, in the seed's order. */
export const PROTOCOL_SYMBOLS: readonly SslProtocol[] = ['secure', 'auto', 'sslv2-or-v3', 'sslv2', 'sslv3', 'tls', 'tls11', 'tls12', 'tls13'];

export const TLS1_VERSION = 0x0301;
export const TLS1_1_VERSION = 0x0302;
export const TLS1_2_VERSION = 0x0303;
export const TLS1_3_VERSION = 0x0304;

/** How a protocol symbol configures a context. */
export interface ProtocolSettings {
  min: number;
  /** 0 = the highest the library supports. */
  max: number;
  /** A security level to force (TLS 1.0/1.1 need level 0 on OpenSSL 3), or null to keep OpenSSL's. */
  securityLevel: number | null;
}

const SETTINGS: Partial<Record<SslProtocol, ProtocolSettings>> = {
  secure: { min: TLS1_VERSION, max: 0, securityLevel: null },
  auto: { min: TLS1_VERSION, max: 0, securityLevel: null },
  'sslv2-or-v3': { min: TLS1_VERSION, max: 0, securityLevel: null },
  tls: { min: TLS1_VERSION, max: TLS1_VERSION, securityLevel: 0 },
  tls11: { min: TLS1_1_VERSION, max: TLS1_1_VERSION, securityLevel: 0 },
  tls12: { min: TLS1_2_VERSION, max: TLS1_2_VERSION, securityLevel: null },
  tls13: { min: TLS1_3_VERSION, max: TLS1_3_VERSION, securityLevel: null },
};

/** Why a symbol is refused by OpenSSL 3, or null when it is provided. */
export function unsupportedReason(p: SslProtocol): string | null {
  if (p === 'sslv2') return 'SSL 2.0 was removed from OpenSSL in 1.1.0 (and is deprecated by RFC 6176)';
  if (p === 'sslv3') return 'SSL 3.0 is not built into OpenSSL 3 (and is deprecated by RFC 7568)';
  return null;
}

export function isProtocolSymbol(v: unknown): v is SslProtocol {
  return typeof v === 'string' && (PROTOCOL_SYMBOLS as readonly string[]).includes(v);
}

/** The settings of a supported symbol. */
export function protocolSettings(p: SslProtocol): ProtocolSettings {
  const s = SETTINGS[p];
  if (!s) throw new Error(`internal: no settings for ${p}`);
  return s;
}

/** The symbol of a negotiated version number (`SSL_version`). */
export function protocolOfVersion(v: number): SslProtocol {
  switch (v) {
    case TLS1_3_VERSION:
      return 'tls13';
    case TLS1_2_VERSION:
      return 'tls12';
    case TLS1_1_VERSION:
      return 'tls11';
    case TLS1_VERSION:
      return 'tls';
    case 0x0300:
      return 'sslv3';
    default:
      return 'auto';
  }
}

function supported(who: string): SslProtocol[] {
  native(who);
  return PROTOCOL_SYMBOLS.filter((p) => unsupportedReason(p) === null);
}

/**
 * The protocol symbols this platform's OpenSSL supports for clients.
 *
 * @example
 * ```ts
 * import { supportedClientProtocols } from 'openssl-ports';
 * supportedClientProtocols(); // ['secure', 'auto', 'sslv2-or-v3', 'tls', 'tls11', 'tls12', 'tls13']
 * ```
 */
export function supportedClientProtocols(): SslProtocol[] {
  return supported('supportedClientProtocols');
}

/**
 * The protocol symbols this platform's OpenSSL supports for servers.
 *
 * @example
 * ```ts
 * import { supportedServerProtocols } from 'openssl-ports';
 * supportedServerProtocols().includes('tls13'); // true
 * ```
 */
export function supportedServerProtocols(): SslProtocol[] {
  return supported('supportedServerProtocols');
}

/**
 * The most recent protocol version supported for client connections (`'tls13'` on OpenSSL 3), or null.
 *
 * @example
 * ```ts
 * import { sslMaxClientProtocol } from 'openssl-ports';
 * sslMaxClientProtocol(); // 'tls13'
 * ```
 */
export function sslMaxClientProtocol(): SslProtocol | null {
  return maxProtocol('sslMaxClientProtocol');
}

/**
 * The most recent protocol version supported for server connections (`'tls13'` on OpenSSL 3), or null.
 *
 * @example
 * ```ts
 * import { sslMaxServerProtocol } from 'openssl-ports';
 * sslMaxServerProtocol(); // 'tls13'
 * ```
 */
export function sslMaxServerProtocol(): SslProtocol | null {
  return maxProtocol('sslMaxServerProtocol');
}

function maxProtocol(who: string): SslProtocol | null {
  return supported(who).includes('tls13') ? 'tls13' : null;
}
