/**
 * What a connection negotiated: protocol version, ALPN protocol, cipher, session reuse; and where it
 * runs (addresses, file descriptor), and abandoning a port.
 *
 * @module
 */
import { native, readMemory, readPointer } from '../ffi/native.js';
import { connectionOf } from '../engine/registry.js';
import { protocolOfVersion, type SslProtocol } from '../context/protocols.js';
import { SslInputPort, type SslPort } from '../ports/ports.js';
import { socketOf } from './socket-of.js';

/**
 * The protocol version negotiated for the connection of `port`: `'tls13'`, `'tls12'`, ….
 *
 * @example
 * ```ts
 * import { sslProtocolVersion } from 'openssl-ports';
 * sslProtocolVersion(input); // 'tls13'
 * ```
 */
export function sslProtocolVersion(port: SslPort): SslProtocol {
  const who = 'sslProtocolVersion';
  const s = connectionOf(who, port).sslPtr(who);
  return protocolOfVersion(native(who).ssl.SSL_version(s));
}

/**
 * The ALPN protocol selected in the handshake, or null when none was.
 *
 * @example
 * ```ts
 * import { sslConnect, sslGetAlpnSelected } from 'openssl-ports';
 * const [input] = await sslConnect('localhost', 8443, 'auto', { alpn: [Buffer.from('h2'), Buffer.from('http/1.1')] });
 * sslGetAlpnSelected(input)?.toString(); // 'http/1.1'
 * ```
 */
export function sslGetAlpnSelected(port: SslPort): Buffer | null {
  const who = 'sslGetAlpnSelected';
  const s = connectionOf(who, port).sslPtr(who);
  // SSL_get0_alpn_selected hands back a pointer into the SSL and a length: copy the bytes out.
  const data = Buffer.alloc(8);
  const len = Buffer.alloc(4);
  native(who).ssl.SSL_get0_alpn_selected(s, data, len);
  const addr = readPointer(data);
  const l = len.readUInt32LE(0);
  return addr && l ? readMemory(addr, l) : null;
}

/**
 * Whether the connection resumed an earlier session instead of a full handshake.
 *
 * @example
 * ```ts
 * import { sslConnect, sslSessionReused } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * // … a first connection with ctx, read from it, close it …
 * const [input] = await sslConnect('localhost', 8443, ctx);
 * sslSessionReused(input); // true
 * ```
 */
export function sslSessionReused(port: SslPort): boolean {
  const who = 'sslSessionReused';
  const s = connectionOf(who, port).sslPtr(who);
  return native(who).ssl.SSL_session_reused(s) === 1;
}

/**
 * The name of the cipher suite in use, e.g. `'TLS_AES_256_GCM_SHA384'`.
 *
 * @example
 * ```ts
 * import { sslCipherName } from 'openssl-ports';
 * sslCipherName(input); // 'TLS_AES_256_GCM_SHA384'
 * ```
 */
export function sslCipherName(port: SslPort): string | null {
  const who = 'sslCipherName';
  const s = connectionOf(who, port).sslPtr(who);
  const n = native(who);
  const c = n.ssl.SSL_get_current_cipher(s);
  return c ? n.ssl.SSL_CIPHER_get_name(c) : null;
}

/**
 * The file descriptor of the TCP socket under an SSL port (the Chicken egg's port fileno), or -1
 * when the socket has none. On a closed connection, an `SslError` (`ERR_SSL_CLOSED`).
 *
 * @example
 * ```ts
 * import { sslPortFileno } from 'openssl-ports';
 * sslPortFileno(input); // e.g. 27
 * ```
 */
export function sslPortFileno(port: SslPort): number {
  const s = socketOf('sslPortFileno', port);
  const handle = (s as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

/**
 * Closes one port without shutting the connection down: an output port is closed without
 * close_notify even when `shutdownOnClose` was asked for; an input port stops delivering data.
 *
 * @example
 * ```ts
 * import { sslAbandonPort } from 'openssl-ports';
 * sslAbandonPort(output);
 * ```
 */
export function sslAbandonPort(port: SslPort): void {
  const who = 'sslAbandonPort';
  connectionOf(who, port);
  port.abandoned = true;
  if (port.destroyed) return; // closed already: nothing to abandon
  if (port instanceof SslInputPort) port.destroy();
  else if (!port.writableEnded) port.end();
}
