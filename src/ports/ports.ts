/**
 * SSL ports: the input port is a Node `Readable` of decrypted bytes, the output port a Node
 * `Writable` that encrypts. Both are thin: every decision is the connection's (see
 * `engine/connection.ts`); a port only forwards stream events to it.
 *
 * @module
 */
import { Readable, Writable } from 'node:stream';

/** What a port needs from its connection. */
export interface PortOwner {
  /** The consumer wants more decrypted data. */
  onInputRead(): void;
  /** Encrypt and send one chunk; `cb` runs when the transport has taken it. */
  onOutputWrite(chunk: Buffer, cb: (err?: Error | null) => void): void;
  /** Encrypt and send several chunks (the port's buffered writes) together. */
  onOutputWritev(chunks: readonly Buffer[], cb: (err?: Error | null) => void): void;
  /** The output port was ended: send close_notify if configured, then `cb`. */
  onOutputFinal(cb: (err?: Error | null) => void): void;
  /** A port was destroyed (closed). */
  onPortClosed(which: 'input' | 'output'): void;
}

/** Set only while {@link makePorts} runs: the port constructors refuse to be called otherwise. */
let constructing = 0;
let inputOwner: (p: SslInputPort) => PortOwner | undefined;
let outputOwner: (p: SslOutputPort) => PortOwner | undefined;

function mayConstruct(what: string): void {
  if (constructing === 0) throw new TypeError(`${what}: SSL ports are made by sslConnect, sslAccept, portsToSslPorts and the upgrades`);
  constructing--;
}

const READ_HIGH_WATER_MARK = 64 * 1024;
const WRITE_HIGH_WATER_MARK = 64 * 1024;

/**
 * The input port of a TLS connection: a `Readable` of the peer's decrypted bytes. The peer's
 * close_notify (or the end of the transport) is its end; destroying it closes the port.
 *
 * @example
 * ```ts
 * const [input] = await sslConnect('localhost', 8443);
 * for await (const chunk of input) process.stdout.write(chunk);
 * ```
 */
export class SslInputPort extends Readable {
  readonly #owner: PortOwner;
  /** @internal */ abandoned = false;

  /** Ports are made by the library (see {@link isSslPort}). */
  private constructor(owner: PortOwner) {
    mayConstruct('SslInputPort');
    super({ highWaterMark: READ_HIGH_WATER_MARK });
    this.#owner = owner;
  }

  /** @internal */
  override _read(): void {
    this.#owner.onInputRead();
  }

  /** @internal */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#owner.onPortClosed('input');
    cb(err);
  }

  static {
    inputOwner = (p) => (#owner in p ? p.#owner : undefined);
  }
}

/**
 * The output port of a TLS connection: a `Writable` whose bytes are encrypted to the peer, with
 * real back-pressure. Ending it sends close_notify only when `shutdownOnClose` was asked for.
 *
 * @example
 * ```ts
 * const [, output] = await sslConnect('localhost', 8443);
 * if (!output.write(bigBuffer)) await once(output, 'drain');
 * output.end();
 * ```
 */
export class SslOutputPort extends Writable {
  readonly #owner: PortOwner;
  /** @internal */ abandoned = false;

  /** Ports are made by the library (see {@link isSslPort}). */
  private constructor(owner: PortOwner) {
    mayConstruct('SslOutputPort');
    super({ highWaterMark: WRITE_HIGH_WATER_MARK, decodeStrings: true });
    this.#owner = owner;
  }

  static {
    outputOwner = (p) => (#owner in p ? p.#owner : undefined);
  }

  /** @internal */
  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#owner.onOutputWrite(chunk, cb);
  }

  /** @internal writes buffered while the previous one was in flight, encrypted as one batch. */
  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, cb: (err?: Error | null) => void): void {
    const buffers: Buffer[] = new Array(chunks.length);
    for (let i = 0; i < chunks.length; i++) buffers[i] = chunks[i]!.chunk;
    this.#owner.onOutputWritev(buffers, cb);
  }

  /** @internal */
  override _final(cb: (err?: Error | null) => void): void {
    this.#owner.onOutputFinal(cb);
  }

  /** @internal */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#owner.onPortClosed('output');
    cb(err);
  }
}

/**
 * An SSL port, input or output: what the `sslPeer…` and session procedures accept.
 *
 * @example
 * ```ts
 * import { sslProtocolVersion, type SslPort } from 'openssl-ports';
 * const describe = (port: SslPort): string => `${sslProtocolVersion(port)}`;
 * describe(input) === describe(output); // both ports of one connection
 * ```
 */
export type SslPort = SslInputPort | SslOutputPort;

/**
 * Whether `v` is an SSL port made by `sslConnect`, `sslAccept`, `portsToSslPorts` or an upgrade.
 *
 * @example
 * ```ts
 * import { sslConnect, isSslPort } from 'openssl-ports';
 * const [input, output] = await sslConnect('localhost', 8443);
 * isSslPort(input) && isSslPort(output); // true
 * ```
 */
export function isSslPort(v: unknown): v is SslPort {
  return portOwner(v) !== undefined;
}

/**
 * The connection behind a port the library made, or undefined for anything else (including objects
 * that only inherit from the port classes).
 *
 * @internal
 */
export function portOwner(v: unknown): PortOwner | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (v instanceof SslInputPort) return inputOwner(v);
  if (v instanceof SslOutputPort) return outputOwner(v);
  return undefined;
}

/**
 * Makes the two ports of a connection (the only way to make SSL ports).
 *
 * @internal
 */
export function makePorts(owner: PortOwner): [SslInputPort, SslOutputPort] {
  type Ctor<T> = new (owner: PortOwner) => T;
  constructing = 2;
  try {
    return [new (SslInputPort as unknown as Ctor<SslInputPort>)(owner), new (SslOutputPort as unknown as Ctor<SslOutputPort>)(owner)];
  } finally {
    constructing = 0;
  }
}
