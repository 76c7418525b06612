/**
 * From a port to its connection, with the argument checks every port query shares.
 *
 * @module
 */
import { Connection } from './connection.js';
import { portOwner } from '../ports/ports.js';
import { typeError } from '../assert.js';

/** The connection behind an SSL port; TypeError for anything else. */
export function connectionOf(who: string, port: unknown): Connection {
  const owner = portOwner(port);
  if (owner instanceof Connection) return owner;
  throw typeError(who, 'port', 'an SSL port', port);
}
