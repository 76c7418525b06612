/**
 * From a port to the TCP socket under its connection (`sslAddresses`, `sslPortFileno`).
 *
 * @module
 */
import type { Socket } from 'node:net';
import { connectionOf } from '../engine/registry.js';
import type { SslPort } from '../ports/ports.js';
import { SslError } from '../errors.js';

/** The TCP socket under an SSL port (TypeError for anything else; `ERR_SSL_CLOSED` on a closed connection). */
export function socketOf(who: string, port: SslPort): Socket {
  const conn = connectionOf(who, port);
  conn.sslPtr(who); // a closed connection has no addresses: ERR_SSL_CLOSED
  const socket = conn.transportSocket;
  if (socket) return socket;
  throw new SslError(`${who}: the port does not run over a TCP socket`, { code: 'ERR_SSL_NO_SOCKET' });
}
