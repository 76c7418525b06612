/**
 * The handshake report printed by `demo`, `connect` and `serve`.
 *
 * @module
 */
import * as o from '../index.js';

const hex = (b: Buffer | null): string => (b ? b.toString('hex') : '(none)');

function binding(port: o.SslPort, type: o.ChannelBindingType): string {
  try {
    return hex(o.sslChannelBinding(port, type));
  } catch (e) {
    return `(${e instanceof Error ? e.message.replace(/^sslChannelBinding: /, '') : String(e)})`;
  }
}

/** The report lines for one end of a connection. */
export function handshakeReport(title: string, port: o.SslPort): string[] {
  const version = o.sslProtocolVersion(port);
  const lines = [
    `${title}:`,
    `  protocol              ${version}`,
    `  cipher                ${o.sslCipherName(port) ?? '(none)'}`,
    `  ALPN                  ${o.sslGetAlpnSelected(port)?.toString() ?? '(none)'}`,
    `  peer verified         ${o.sslPeerVerified(port)}`,
    `  peer subject          ${o.sslPeerSubjectName(port)?.toString() ?? '(no certificate)'}`,
    `  peer issuer           ${o.sslPeerIssuerName(port)?.toString() ?? '(no certificate)'}`,
    `  peer hostnames        ${o.sslPeerCertificateHostnames(port).join(', ') || '(none)'}`,
    `  session reused        ${o.sslSessionReused(port)}`,
    `  tls-exporter          ${binding(port, 'tls-exporter')}`,
    `  tls-server-end-point  ${binding(port, 'tls-server-end-point')}`,
  ];
  if (version !== 'tls13') lines.push(`  tls-unique            ${binding(port, 'tls-unique')}`);
  return lines;
}
