/**
 * The closing rules of one connection: its state, which of its ends are done, and when nothing can use
 * it any more. The connection asks {@link Lifecycle.settle} after every change; what is sent on the way
 * out (close_notify or not) is decided by the port-closing rules in the connection.
 *
 * A half-open connection (the peer ended its side, the application may still send) is held only by its
 * output port: the lifecycle then keeps the port weakly, and closes the connection when the
 * application drops it.
 *
 * @module
 */
import type { SslOutputPort } from '../ports/ports.js';

/** The stages of a connection: the handshake, the open connection, and closed (the SSL freed or about to be). */
export type ConnectionState = 'handshaking' | 'open' | 'closed';

/** What the lifecycle calls back on its connection. */
export interface LifecycleOwner {
  /** The output port was collected while the connection was half-open. */
  onOutputCollected(): void;
}

/**
 * Closes half-open connections whose output port the application dropped (nothing else can use them).
 * The held value is a WeakRef: a strong one would keep the port reachable through the connection's input
 * port (e.g. an 'end' listener that closes the output), and nothing would ever be collected.
 */
const OUTPUT_COLLECTED = new FinalizationRegistry<WeakRef<LifecycleOwner>>((ref) => ref.deref()?.onOutputCollected());

/** The state of one connection and its closing rules. */
export class Lifecycle {
  state: ConnectionState = 'handshaking';
  /** The handshake completed (a session worth keeping exists). */
  handshakeDone = false;
  /** The transport's input ended (the peer's end of the stream). */
  transportEnded = false;
  /** The application closed (destroyed) the input port. */
  inputClosed = false;
  /** The application closed (destroyed) the output port. */
  outputClosed = false;
  private readonly owner: LifecycleOwner;
  private outputStrong: SslOutputPort | null;
  /** Made when the port is from then on held weakly (half-open; see {@link settle}). */
  private outputWeak: WeakRef<SslOutputPort> | null = null;

  constructor(owner: LifecycleOwner, output: SslOutputPort) {
    this.owner = owner;
    this.outputStrong = output;
  }

  /** The output port (held weakly once the connection is half-open: it is there while anyone can write to it). */
  get outputPort(): SslOutputPort {
    return (this.outputStrong ?? this.outputWeak?.deref())!;
  }

  /** The output port if it still exists (it may have been collected while half-open). */
  outputIfAny(): SslOutputPort | undefined {
    return this.outputStrong ?? this.outputWeak?.deref();
  }

  /** Records that the application closed a port; false when it was closed already. */
  portClosed(which: 'input' | 'output'): boolean {
    if (which === 'input') {
      if (this.inputClosed) return false;
      this.inputClosed = true;
    } else {
      if (this.outputClosed) return false;
      this.outputClosed = true;
    }
    return true;
  }

  /**
   * Whether the open connection can be closed because nothing can use it any more: no more input can
   * arrive (the input port has its end, or is closed) and nothing more can be sent (the output port is
   * closed, or the transport is gone). Otherwise, when only the output port can still use it
   * (half-open: the peer ended its side, no write pending), that port is from now on held weakly.
   */
  settle(inputEnded: boolean, transportGone: boolean, writePending: boolean): boolean {
    if (this.state !== 'open') return false;
    const inputDone = inputEnded || this.inputClosed;
    if (inputDone && (this.outputClosed || transportGone)) return true;
    if (inputDone && this.transportEnded && this.outputStrong !== null && !writePending) {
      OUTPUT_COLLECTED.register(this.outputStrong, new WeakRef(this.owner), this);
      this.outputWeak = new WeakRef(this.outputStrong);
      this.outputStrong = null;
    }
    return false;
  }

  /** The connection is closed: stop watching the output port. */
  closed(): void {
    this.state = 'closed';
    OUTPUT_COLLECTED.unregister(this);
  }
}
