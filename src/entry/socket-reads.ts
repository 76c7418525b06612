/**
 * Reading ciphertext from sockets without the Readable machinery: libuv reads into one shared buffer
 * and a callback hands the bytes to the connection, which copies them into OpenSSL before it returns,
 * so one buffer serves every socket.
 *
 * Client sockets get this through Node's documented `onread` option of `net.connect`. Accepted
 * sockets are made by `net.Server`, which has no such option: {@link adoptSocketReads} switches them
 * to the same mode by setting what the option sets. Those fields are found on a probe socket made
 * with the option, by value, not assumed; on a Node without them accepted sockets keep 'data' events.
 *
 * @module
 */
import { Socket } from 'node:net';
import { READ_BUFFER } from '../engine/read-buffer.js';

/**
 * What reads are delivered to (the connection): `receive(n)` gets `n` bytes at the start of
 * {@link READ_BUFFER}, valid only during the call; `receiveBuffer` gets bytes read before it was attached.
 */
interface Receiver {
  receive(n: number): void;
  receiveBuffer(chunk: Buffer): void;
}

/**
 * Delivers one socket's reads to its connection once there is one; bytes read before that are kept
 * as copies and handed over first.
 */
export class ReadRelay {
  private receiver: Receiver | null = null;
  /** Copies of what was read before there was a receiver (made on the first such read). */
  private early: Buffer[] | null = null;
  /** The callback Node's `onread` mode calls after each read. */
  readonly callback = (n: number): boolean => {
    if (this.receiver) this.receiver.receive(n);
    else (this.early ??= []).push(Buffer.from(READ_BUFFER.subarray(0, n)));
    return true;
  };

  /** From now on reads go to `receiver`. */
  attach(receiver: Receiver): void {
    this.receiver = receiver;
    const early = this.early;
    this.early = null;
    if (early) receiver.receiveBuffer(Buffer.concat(early));
  }
}

/** Node's `onread` option for `net.connect`, delivering to `relay`. */
export function onreadOption(relay: ReadRelay): { buffer: Buffer; callback: (n: number, buf: Uint8Array) => boolean } {
  return { buffer: READ_BUFFER, callback: relay.callback };
}

interface UserBufferFields {
  buffer: symbol;
  callback: symbol;
}

let fields: UserBufferFields | null | undefined;

/** The socket fields Node's `onread` option sets, found on a probe (null when this Node has none). */
function userBufferFields(): UserBufferFields | null {
  if (fields !== undefined) return fields;
  fields = null;
  try {
    const callback = (): boolean => true;
    // (`onread` is documented for net.connect, which passes its options to this constructor.)
    const probe = new Socket({ onread: { buffer: READ_BUFFER, callback } } as ConstructorParameters<typeof Socket>[0]);
    const own = probe as unknown as Record<symbol, unknown>;
    let buffer: symbol | null = null;
    let cb: symbol | null = null;
    for (const sym of Object.getOwnPropertySymbols(probe)) {
      if (own[sym] === READ_BUFFER) buffer = sym;
      else if (own[sym] === callback) cb = sym;
    }
    probe.destroy();
    if (buffer && cb) fields = { buffer, callback: cb };
  } catch {
    fields = null;
  }
  return fields;
}

/**
 * Switches an accepted socket to reading into the shared buffer, delivering to `relay` from now on.
 * Returns the bytes the socket had already buffered (to be consumed first), or null when the socket
 * cannot be switched (it keeps 'data' events).
 */
export function adoptSocketReads(socket: Socket, relay: ReadRelay): Buffer[] | null {
  const f = userBufferFields();
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Buffer) => void } | null })._handle;
  if (!f || !handle || typeof handle.useUserBuffer !== 'function' || socket.destroyed || socket.readableEnded) return null;
  socket.pause();
  const early: Buffer[] = [];
  for (let c: Buffer | null; (c = socket.read() as Buffer | null) !== null; ) early.push(c);
  const s = socket as unknown as Record<symbol, unknown>;
  s[f.buffer] = READ_BUFFER;
  s[f.callback] = relay.callback;
  handle.useUserBuffer(READ_BUFFER);
  return early;
}
