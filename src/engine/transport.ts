/**
 * The transport of one connection: the Readable its ciphertext comes from and the Writable it goes
 * to (one socket, or any pair of streams), the connection's listeners on them, and how the transport
 * is let go of when the connection closes.
 *
 * @module
 */
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

/** What the connection does on each transport event: functions bound to it (arrow functions). */
export interface TransportEvents {
  /** Null when the transport's bytes come another way (the connection's `receive`, Node's `onread` mode). */
  data: ((chunk: unknown) => void) | null;
  end(): void;
  error(err: Error): void;
  drain(): void;
  close(): void;
}

/** The streams under one connection and the connection's listeners on them. */
export class Transport {
  readonly input: Readable;
  readonly output: Writable;
  /** The socket when the connection owns one (sslConnect, sslAccept, upgrades). */
  readonly socket: Socket | null;
  /** Close the transport when the connection closes (otherwise it is only let go of). */
  private readonly closeOnExit: boolean;
  private readonly onData: ((chunk: unknown) => void) | null;
  private readonly onEnd: () => void;
  private readonly onError: (err: Error) => void;
  private readonly onDrain: () => void;
  private readonly onClose: () => void;

  constructor(input: Readable, output: Writable, socket: Socket | null, closeOnExit: boolean, events: TransportEvents) {
    this.input = input;
    this.output = output;
    this.socket = socket;
    this.closeOnExit = closeOnExit;
    // The listeners are the connection's own functions (added and removed by identity).
    this.onData = events.data;
    this.onEnd = events.end;
    this.onError = events.error;
    this.onDrain = events.drain;
    this.onClose = events.close;
  }

  /**
   * Listens to the transport and lets it flow (a socket paused by a plaintext protocol, STARTTLS, must
   * flow again). Without a `data` event function the bytes come through the connection's `receive`
   * (Node's `onread` mode) instead of 'data' events. A transport that is already gone or ended is
   * reported at the next microtask.
   */
  attach(): void {
    const { input, output } = this;
    if (this.onData) input.on('data', this.onData);
    input.on('end', this.onEnd);
    input.on('error', this.onError);
    input.on('close', this.onClose);
    if (output !== (input as unknown)) {
      output.on('error', this.onError);
      output.on('close', this.onClose);
    }
    output.on('drain', this.onDrain);
    input.resume();
    if (input.destroyed || output.destroyed) queueMicrotask(this.onClose); // gone already
    else if (input.readableEnded) queueMicrotask(this.onEnd);
  }

  /** The TCP socket under the connection: its own, or a socket given as the transport; null for other streams. */
  get tcpSocket(): Socket | null {
    if (this.socket) return this.socket;
    if (this.input instanceof Socket) return this.input;
    if (this.output instanceof Socket) return this.output;
    return null;
  }

  /** Lets the ciphertext flow; resume() schedules work even on a flowing stream, so only when paused. */
  resumeIfPaused(): void {
    if (this.input.isPaused()) this.input.resume();
  }

  /**
   * The connection closed: stop listening and close the transport when the connection owns it (a
   * socket is destroyed after a failure or when nothing waits to be written, and ended otherwise), or pause it and let it go. An error
   * listener stays on a closed transport: a late error must not crash the process.
   */
  shut(failed: boolean): void {
    const { input, output } = this;
    if (this.onData) input.off('data', this.onData);
    input.off('end', this.onEnd);
    output.off('drain', this.onDrain);
    input.off('close', this.onClose);
    output.off('close', this.onClose);
    if (this.closeOnExit) {
      const socket = this.socket;
      if (socket) {
        // Nothing waiting to be written (every write went to the kernel whole): closing the socket sends
        // the same FIN as shutdown(SHUT_WR) followed by close(), without the shutdown request, its
        // callback from the event loop and the 'finish' it takes. Otherwise end() lets the queue drain first.
        if (failed || socket.writableLength === 0) socket.destroy();
        else {
          socket.end();
          socket.once('finish', () => socket.destroy());
        }
      } else {
        if (!output.destroyed && !output.writableEnded) output.end();
        if (!input.destroyed) input.destroy();
      }
    } else {
      input.pause();
      input.off('error', this.onError);
      output.off('error', this.onError);
    }
  }
}
