/**
 * SSL ports as Web Streams, for code written against `ReadableStream`/`WritableStream` (fetch-style
 * bodies, Deno-style APIs).
 *
 * @module
 */
import { Readable, Writable } from 'node:stream';
import type { ReadableStream, WritableStream } from 'node:stream/web';
import { SslInputPort, SslOutputPort } from './ports.js';
import { typeError } from '../assert.js';

/**
 * A TLS connection as a pair of Web Streams.
 *
 * @example
 * ```ts
 * import { sslConnect, sslPortsToWebStreams, type SslWebStreams } from 'openssl-ports';
 * const { readable, writable }: SslWebStreams = sslPortsToWebStreams(await sslConnect('localhost', 8443));
 * await readable.pipeTo(new WritableStream({ write: (chunk) => console.log(chunk.length) }));
 * ```
 */
export interface SslWebStreams {
  /** The decrypted bytes from the peer. */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to encrypt and send to the peer; closing it closes the output port. */
  writable: WritableStream<Uint8Array>;
}

/**
 * Converts the `[input, output]` ports of a connection into Web Streams. Back-pressure is kept:
 * the streams wrap the ports, they do not buffer ahead of them.
 *
 * @example
 * ```ts
 * import { sslConnect, sslPortsToWebStreams } from 'openssl-ports';
 * const { readable, writable } = sslPortsToWebStreams(await sslConnect('localhost', 8443));
 * const writer = writable.getWriter();
 * await writer.write(new TextEncoder().encode('hello'));
 * for await (const chunk of readable) console.log(chunk);
 * ```
 */
export function sslPortsToWebStreams(ports: [SslInputPort, SslOutputPort]): SslWebStreams {
  const who = 'sslPortsToWebStreams';
  if (!Array.isArray(ports) || !(ports[0] instanceof SslInputPort) || !(ports[1] instanceof SslOutputPort)) {
    throw typeError(who, 'ports', 'the [input, output] ports of a connection', ports);
  }
  return {
    readable: Readable.toWeb(ports[0]) as unknown as ReadableStream<Uint8Array>,
    writable: Writable.toWeb(ports[1]) as unknown as WritableStream<Uint8Array>,
  };
}
