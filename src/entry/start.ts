/**
 * The step every entry point ends with: make the connection over its transport, run the handshake,
 * hand out the ports. A connection that cannot even be made closes the socket it was given.
 *
 * @module
 */
import { Connection, type ConnectionOptions } from '../engine/connection.js';
import type { SslInputPort, SslOutputPort } from '../ports/ports.js';

/** Makes a connection, waits for its handshake, and resolves to `[input, output]`. */
export async function startConnection(
  options: ConnectionOptions & { onConnection?: (conn: Connection) => void },
): Promise<[SslInputPort, SslOutputPort]> {
  let conn: Connection;
  try {
    conn = new Connection(options);
  } catch (e) {
    options.socket?.destroy();
    throw e;
  }
  options.onConnection?.(conn);
  await conn.start();
  return [conn.inputPort, conn.outputPort];
}
