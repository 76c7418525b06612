/**
 * `sslAddresses`, which takes a port or a listener.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { SslListener, listenerServer } from '../entry/server.js';
import type { SslPort } from '../ports/ports.js';
import { socketOf } from '../peer/socket-of.js';
import { SslError } from '../errors.js';

/**
 * The local and remote addresses of an SSL port's TCP connection (also of `portsToSslPorts` ports
 * whose transport is a `net.Socket`), or of a listener (whose remote
 * address is `'0.0.0.0'`); with `portNumbers` the port numbers follow each address. On a closed
 * connection, an `SslError` (`ERR_SSL_CLOSED`).
 *
 * @example
 * ```ts
 * import { sslAddresses } from 'openssl-ports';
 * const [, port] = sslAddresses(listener, true); // the port sslListen(0) picked
 * const [local, remote] = sslAddresses(input);
 * ```
 */
export function sslAddresses(portOrListener: SslPort | SslListener, portNumbers?: false): [string, string];
export function sslAddresses(portOrListener: SslPort | SslListener, portNumbers: true): [string, number, string, number];
export function sslAddresses(portOrListener: SslPort | SslListener, portNumbers = false): [string, string] | [string, number, string, number] {
  const who = 'sslAddresses';
  if (portOrListener instanceof SslListener) {
    const a = listenerServer(portOrListener).address() as AddressInfo | null;
    if (!a) throw new SslError(`${who}: the listener is closed`, { code: 'ERR_SSL_LISTENER_CLOSED' });
    return portNumbers ? [a.address, a.port, '0.0.0.0', 0] : [a.address, '0.0.0.0'];
  }
  const s = socketOf(who, portOrListener);
  const local = s.localAddress ?? '';
  const remote = s.remoteAddress ?? '';
  return portNumbers ? [local, s.localPort ?? 0, remote, s.remotePort ?? 0] : [local, remote];
}
