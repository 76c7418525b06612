/**
 * The socket view of a connection: one `Duplex` over the two ports of a TLS connection that behaves
 * like a `tls.TLSSocket` where it can, so that `http`, `https`, `http2`, undici and `ws` can use it as
 * their socket (client or server side).
 *
 * @module
 */
import { Duplex } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import type { CipherNameAndProtocol, DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import { connectionOf } from '../engine/registry.js';
import { SslInputPort, SslOutputPort } from '../ports/ports.js';
import type { Connection } from '../engine/connection.js';
import { sslPeerCertificate, sslPeerVerified } from '../peer/certificate.js';
import { sslCipherName, sslGetAlpnSelected, sslProtocolVersion, sslSessionReused } from '../peer/session.js';
import { native, clearErrors, drainErrors } from '../ffi/native.js';
import { SslError } from '../errors.js';
import { typeError } from '../assert.js';
import type { SslPorts } from '../entry/client.js';

/**
 * Options of {@link sslPortsToSocket}.
 *
 * @example
 * ```ts
 * import { sslPortsToSocket, type SslSocketOptions } from 'openssl-ports';
 * const options: SslSocketOptions = { allowHalfOpen: true };
 * const socket = sslPortsToSocket(input, output, options);
 * ```
 */
export interface SslSocketOptions {
  /**
   * Keep the writable side open after the peer ended its side (default false, as for `net.Socket`:
   * the socket ends its side — close_notify, then FIN — when the peer's data ends).
   */
  allowHalfOpen?: boolean;
}

/** Node's names of the protocol versions (`tlsSocket.getProtocol()`). */
const NODE_PROTOCOL: Record<string, string> = { tls13: 'TLSv1.3', tls12: 'TLSv1.2', tls11: 'TLSv1.1', tls: 'TLSv1', sslv3: 'SSLv3' };

/** Addresses of the TCP connection, captured once it is up (they stay readable after it closes). */
interface Addresses {
  remoteAddress?: string;
  remotePort?: number;
  remoteFamily?: string;
  localAddress?: string;
  localPort?: number;
  localFamily?: string;
}

/** Gives a pending socket its ports (or its failure); module-private. */
let settle: (socket: SslSocket, ports: SslPorts | null, err: Error | null) => void;

/**
 * A TLS connection as one `Duplex`, shaped like `tls.TLSSocket` so that Node's and the ecosystem's
 * HTTP, HTTP/2 and WebSocket code can run over it. Made by {@link sslPortsToSocket} (over the ports
 * of any connection) or by {@link sslSocketConnect} and the connectors (connecting).
 *
 * What it does like `TLSSocket`: back-pressure both ways; `allowHalfOpen`; `end()` sends close_notify,
 * then FIN (on a TCP connection); `destroy()` closes at once; `setTimeout` (an idle timer that emits
 * `'timeout'` and does not keep the process alive); `setNoDelay`, `setKeepAlive`, `ref`, `unref`
 * (on the TCP socket, when the connection has one); the address getters; `encrypted`, `authorized`,
 * `authorizationError`, `alpnProtocol`; `getPeerCertificate()`, `getPeerX509Certificate()`,
 * `getProtocol()`, `getCipher()`, `exportKeyingMaterial()`, `isSessionReused()`; and readiness:
 * `connecting`/`pending` are true until the handshake is done, then `'connect'`, `'secureConnect'`
 * and `'ready'` are emitted (only by a socket that was connecting).
 *
 * Where it differs: it is not an `instanceof tls.TLSSocket` or `net.Socket` (Node's `http2` wraps it
 * in a JS stream, as for any Duplex); `authorizationError` is OpenSSL's verify text (e.g.
 * `'self-signed certificate'`), not node:tls's code; `getPeerCertificate(true)` has no
 * `issuerCertificate` chain; `getCipher().standardName` is OpenSSL's name; there is no `getSession`,
 * `renegotiate`, `setServername` or `setMaxSendFragment`; over ports that do not run on a TCP
 * socket, `end()` sends close_notify but no FIN and the address getters are undefined.
 *
 * @example
 * ```ts
 * import { sslConnect, sslPortsToSocket } from 'openssl-ports';
 * const socket = sslPortsToSocket(...(await sslConnect('example.com', 443, 'secure')));
 * console.log(socket.getProtocol(), socket.authorized, socket.remoteAddress);
 * socket.end('GET / HTTP/1.0\r\nHost: example.com\r\n\r\n');
 * for await (const chunk of socket) process.stdout.write(chunk);
 * ```
 */
export class SslSocket extends Duplex {
  /** Always true: the bytes of this socket are encrypted on the wire. */
  readonly encrypted = true as const;
  // Verification results: private, read through getters (a caller cannot make an unverified peer look verified).
  #authorized = false;
  #authorizationError: string | null = null;

  /** Whether the peer's certificate verified (false until the handshake is done); read-only. */
  get authorized(): boolean {
    return this.#authorized;
  }

  /** Why the peer was not verified (OpenSSL's verify text), or null when it was or verification was off; read-only. */
  get authorizationError(): string | null {
    return this.#authorizationError;
  }
  /** The ALPN protocol selected in the handshake, or false (as node:tls). */
  alpnProtocol: string | false = false;
  /** Decrypted bytes read from the peer. */
  bytesRead = 0;

  #input: SslInputPort | null = null;
  #output: SslOutputPort | null = null;
  #conn: Connection | null = null;
  #tcp: Socket | null = null;
  #connecting: boolean;
  #addresses: Addresses = {};
  #abort: AbortController | null;
  /** A write that came before the handshake was done. */
  #early: { chunks: Buffer[]; cb: (err?: Error | null) => void } | null = null;
  /** `end()` came before the handshake was done. */
  #earlyFinal: ((err?: Error | null) => void) | null = null;
  #readWanted = false;
  #bytesWritten = 0;
  #timeoutMs = 0;
  #timer: NodeJS.Timeout | null = null;
  #ref = true;
  #noDelay: boolean | null = null;
  #keepAlive: [boolean, number] | null = null;

  static {
    settle = (socket, ports, err) => socket.#settle(ports, err);
  }

  /** @internal use {@link sslPortsToSocket} or {@link sslSocketConnect}. */
  constructor(ports: SslPorts | null, options: SslSocketOptions & { abort?: AbortController } = {}) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false, emitClose: true, autoDestroy: true, decodeStrings: true });
    this.#abort = options.abort ?? null;
    this.#connecting = ports === null;
    if (ports) this.#attach(ports);
  }

  // ---- readiness ----

  /** True while the TCP connection or the handshake is in progress (as `net.Socket#connecting`). */
  get connecting(): boolean {
    return this.#connecting;
  }

  /** True until the socket is connected (as `net.Socket#pending`). */
  get pending(): boolean {
    return this.#connecting || this.#conn === null;
  }

  /** `'opening'`, `'open'`, `'readOnly'`, `'writeOnly'` or `'closed'`, as `net.Socket#readyState`. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.#connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  #settle(ports: SslPorts | null, err: Error | null): void {
    if (this.destroyed) {
      // Destroyed while connecting: the connection that came too late is closed at once.
      if (ports) for (const p of ports) p.destroy();
      return;
    }
    if (err || !ports) {
      this.#connecting = false;
      this.destroy(err ?? new SslError('sslSocketConnect: connect failed', { code: 'ERR_SSL_CLOSED' }));
      return;
    }
    this.#attach(ports);
    this.#connecting = false;
    this.emit('connect');
    this.emit('secureConnect');
    this.emit('ready');
  }

  #attach([input, output]: SslPorts): void {
    const who = 'sslPortsToSocket';
    const conn = connectionOf(who, input);
    this.#conn = conn;
    this.#input = input;
    this.#output = output;
    this.#tcp = conn.socket;
    const tcp = this.#tcp;
    if (tcp) {
      this.#addresses = {
        remoteAddress: tcp.remoteAddress,
        remotePort: tcp.remotePort,
        remoteFamily: tcp.remoteFamily,
        localAddress: tcp.localAddress,
        localPort: tcp.localPort,
        localFamily: (tcp.address() as { family?: string }).family,
      };
      if (!this.#ref) tcp.unref();
      if (this.#noDelay !== null) tcp.setNoDelay(this.#noDelay);
      if (this.#keepAlive) tcp.setKeepAlive(...this.#keepAlive);
    }
    try {
      this.#authorized = sslPeerVerified(input);
      this.#authorizationError = this.#authorized || conn.verify === 'off' ? null : conn.verifyResultText();
      this.alpnProtocol = sslGetAlpnSelected(input)?.toString('latin1') ?? false;
    } catch {
      /* the connection is already gone: the ports' end or error tells */
    }
    // The ports keep an 'error' listener for their whole life: a late error never goes unhandled.
    const onError = (e: Error): void => {
      if (!this.destroyed) this.destroy(e);
    };
    input.on('error', onError);
    output.on('error', onError);
    input.on('data', (chunk: Buffer) => {
      this.bytesRead += chunk.length;
      this.#touch();
      if (!this.push(chunk)) input.pause();
    });
    input.on('end', () => this.push(null));
    output.on('close', () => {
      // The connection went away under us (peer reset, handshake timeout, …) without an error.
      if (!this.destroyed && !this.writableFinished && !output.writableFinished) this.destroy();
    });
    if (!this.#readWanted) input.pause();
    const early = this.#early;
    this.#early = null;
    if (early) this.#send(early.chunks, early.cb);
    const final = this.#earlyFinal;
    this.#earlyFinal = null;
    if (final) this._final(final);
  }

  // ---- Duplex implementation ----

  /** @internal */
  override _read(): void {
    this.#readWanted = true;
    this.#input?.resume();
  }

  /** @internal */
  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#send([chunk], cb);
  }

  /** @internal */
  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, cb: (err?: Error | null) => void): void {
    this.#send(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  #send(chunks: Buffer[], cb: (err?: Error | null) => void): void {
    const output = this.#output;
    if (!output) {
      this.#early = { chunks, cb };
      return;
    }
    let ok = true;
    for (const c of chunks) {
      this.#bytesWritten += c.length;
      ok = output.write(c);
    }
    this.#touch();
    if (ok) cb();
    else output.once('drain', () => cb());
  }

  /** @internal `end()`: close_notify, then FIN on a TCP connection; done once the kernel has both. */
  override _final(cb: (err?: Error | null) => void): void {
    const output = this.#output;
    const conn = this.#conn;
    if (!output || !conn) {
      this.#earlyFinal = cb;
      return;
    }
    conn.closeNotify(() => {
      output.end(() => {
        const tcp = this.#tcp;
        if (!tcp || tcp.destroyed || tcp.writableFinished) return cb();
        tcp.end(() => cb());
      });
    });
  }

  /** @internal `destroy()`: the connection closes at once (no close_notify), as `TLSSocket#destroy`. */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#clearTimer();
    this.#connecting = false;
    this.#abort?.abort();
    const early = this.#early;
    this.#early = null;
    early?.cb(err ?? new SslError('sslSocketConnect: the socket was destroyed before it connected', { code: 'ERR_SSL_CLOSED' }));
    this.#input?.destroy();
    this.#output?.destroy();
    const tcp = this.#tcp;
    if (tcp && !tcp.destroyed) tcp.destroy();
    cb(err);
  }

  /**
   * Closes the socket once what was written has been sent (`end()`, then `destroy()`), as
   * `net.Socket#destroySoon`.
   *
   * @example
   * ```ts
   * socket.write('bye\n');
   * socket.destroySoon();
   * ```
   */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Plaintext bytes written (as `net.Socket#bytesWritten`). */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  // ---- timers and TCP options ----

  /** The idle timeout set by {@link SslSocket.setTimeout} (ms; undefined when none). */
  get timeout(): number | undefined {
    return this.#timeoutMs || undefined;
  }

  /**
   * Emits `'timeout'` after `ms` of inactivity (no bytes read or written); 0 turns it off. As for
   * `net.Socket`, the socket is not closed: the listener decides. The timer does not keep the process
   * alive.
   *
   * @example
   * ```ts
   * socket.setTimeout(30_000, () => socket.destroy());
   * ```
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) throw typeError('SslSocket.setTimeout', 'ms', 'a non-negative number', ms);
    this.#timeoutMs = ms;
    this.#clearTimer();
    if (callback) {
      if (ms === 0) this.off('timeout', callback);
      else this.once('timeout', callback);
    }
    if (ms > 0 && !this.destroyed) {
      this.#timer = setTimeout(() => this.emit('timeout'), ms);
      this.#timer.unref();
    }
    return this;
  }

  #touch(): void {
    this.#timer?.refresh();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * Sets TCP_NODELAY on the TCP socket (the library sets it on every socket it opens).
   *
   * @example
   * ```ts
   * socket.setNoDelay(true);
   * ```
   */
  setNoDelay(noDelay = true): this {
    if (this.#tcp) this.#tcp.setNoDelay(noDelay);
    else this.#noDelay = noDelay;
    return this;
  }

  /**
   * Turns TCP keep-alive probes on or off on the TCP socket.
   *
   * @example
   * ```ts
   * socket.setKeepAlive(true, 60_000);
   * ```
   */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (this.#tcp) this.#tcp.setKeepAlive(enable, initialDelay);
    else this.#keepAlive = [enable, initialDelay];
    return this;
  }

  /**
   * Lets the process exit while this socket is open (on the TCP socket, as `net.Socket#unref`).
   *
   * @example
   * ```ts
   * socket.unref(); // an idle keep-alive connection does not keep the process alive
   * ```
   */
  unref(): this {
    this.#ref = false;
    this.#tcp?.unref();
    return this;
  }

  /**
   * Undoes {@link SslSocket.unref}.
   *
   * @example
   * ```ts
   * socket.ref();
   * ```
   */
  ref(): this {
    this.#ref = true;
    this.#tcp?.ref();
    return this;
  }

  // ---- addresses ----

  /** The peer's IP address (kept after the socket closes). */
  get remoteAddress(): string | undefined {
    return this.#addresses.remoteAddress;
  }
  /** The peer's port. */
  get remotePort(): number | undefined {
    return this.#addresses.remotePort;
  }
  /** `'IPv4'` or `'IPv6'`. */
  get remoteFamily(): string | undefined {
    return this.#addresses.remoteFamily;
  }
  /** The local IP address. */
  get localAddress(): string | undefined {
    return this.#addresses.localAddress;
  }
  /** The local port. */
  get localPort(): number | undefined {
    return this.#addresses.localPort;
  }

  /**
   * The local address as `net.Socket#address()` gives it, or `{}` when there is no TCP socket.
   *
   * @example
   * ```ts
   * const { address, port } = socket.address();
   * ```
   */
  address(): AddressInfo | Record<string, never> {
    const a = this.#addresses;
    return a.localAddress === undefined ? {} : { address: a.localAddress, family: a.localFamily ?? '', port: a.localPort ?? 0 };
  }

  // ---- TLS queries ----

  #ready(who: string): Connection {
    const conn = this.#conn;
    if (!conn || !conn.isAlive) throw new SslError(`SslSocket.${who}: the socket is not connected`, { code: 'ERR_SSL_CLOSED' });
    return conn;
  }

  /**
   * The peer's certificate as node:tls's plain object (`subject`, `issuer`, `subjectaltname`,
   * `valid_from`, `fingerprint256`, `raw`, …), `{}` when the peer sent none, null when the socket is not
   * connected. `detailed` adds nothing (no `issuerCertificate` chain).
   *
   * @example
   * ```ts
   * socket.getPeerCertificate().subject.CN; // 'example.com'
   * ```
   */
  getPeerCertificate(detailed?: boolean): PeerCertificate | DetailedPeerCertificate | Record<string, never> | null {
    void detailed;
    if (!this.#input || !this.#conn?.isAlive) return null;
    const x = sslPeerCertificate(this.#input);
    return x ? (x.toLegacyObject() as PeerCertificate) : {};
  }

  /**
   * The peer's certificate as an `X509Certificate`, or undefined.
   *
   * @example
   * ```ts
   * socket.getPeerX509Certificate()?.subjectAltName;
   * ```
   */
  getPeerX509Certificate(): X509Certificate | undefined {
    if (!this.#input || !this.#conn?.isAlive) return undefined;
    return sslPeerCertificate(this.#input) ?? undefined;
  }

  /**
   * The negotiated protocol in node:tls's spelling (`'TLSv1.3'`, `'TLSv1.2'`), or null before the
   * handshake.
   *
   * @example
   * ```ts
   * socket.getProtocol(); // 'TLSv1.3'
   * ```
   */
  getProtocol(): string | null {
    if (!this.#input || !this.#conn?.isAlive) return null;
    const p = sslProtocolVersion(this.#input);
    return NODE_PROTOCOL[p] ?? 'unknown';
  }

  /**
   * The cipher suite: `{ name, standardName, version }` (both names are OpenSSL's), or null before
   * the handshake.
   *
   * @example
   * ```ts
   * socket.getCipher(); // { name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' }
   * ```
   */
  getCipher(): CipherNameAndProtocol | null {
    if (!this.#input || !this.#conn?.isAlive) return null;
    const name = sslCipherName(this.#input);
    if (!name) return null;
    return { name, standardName: name, version: this.getProtocol() ?? 'unknown' };
  }

  /**
   * Keying material exported from the connection (RFC 5705 / RFC 8446 §7.5), as
   * `TLSSocket#exportKeyingMaterial`.
   *
   * @example
   * ```ts
   * const key = socket.exportKeyingMaterial(32, 'EXPERIMENTAL-my-protocol', Buffer.from('ctx'));
   * ```
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    const who = 'exportKeyingMaterial';
    if (typeof length !== 'number' || !Number.isInteger(length)) throw typeError(`SslSocket.${who}`, 'length', 'an integer', length);
    if (length < 1 || length > 0x3fffffff) throw new RangeError(`SslSocket.${who}: length must be between 1 and 2**30 - 1, got ${length}`);
    if (typeof label !== 'string') throw typeError(`SslSocket.${who}`, 'label', 'a string', label);
    if (context !== undefined && !(context instanceof Uint8Array)) throw typeError(`SslSocket.${who}`, 'context', 'a Buffer', context);
    const s = this.#ready(who).sslPtr(`SslSocket.${who}`);
    const { ssl } = native(`SslSocket.${who}`);
    const out = Buffer.alloc(length);
    const l = Buffer.from(label, 'latin1');
    const c = context ? Buffer.from(context) : null;
    clearErrors();
    if (ssl.SSL_export_keying_material(s, out, length, l, l.length, c, c ? c.length : 0, c ? 1 : 0) !== 1) {
      const errors = drainErrors();
      throw new SslError(`SslSocket.${who}: cannot export keying material${errors.length ? ` (${errors.map((e) => e.reason).join('; ')})` : ''}`, {
        code: 'ERR_SSL_EXPORT_KEYING_MATERIAL',
      });
    }
    return out;
  }

  /**
   * Whether the handshake resumed a session.
   *
   * @example
   * ```ts
   * socket.isSessionReused(); // true on the second connection with the same context
   * ```
   */
  isSessionReused(): boolean {
    if (!this.#input || !this.#conn?.isAlive) return false;
    return sslSessionReused(this.#input);
  }

  /**
   * The SSL ports under this socket (`[input, output]`), for the library's `sslPeer…`/`sslGet…`
   * procedures; null while connecting.
   *
   * @example
   * ```ts
   * import { sslChannelBinding } from 'openssl-ports';
   * const [input] = socket.ports!;
   * sslChannelBinding(input, 'tls-exporter');
   * ```
   */
  get ports(): SslPorts | null {
    return this.#input && this.#output ? [this.#input, this.#output] : null;
  }
}

/** Makes a socket that is connecting; {@link settleSocket} gives it its ports. */
export function pendingSocket(options: SslSocketOptions & { abort?: AbortController } = {}): SslSocket {
  return new SslSocket(null, options);
}

/** Gives a pending socket its ports, or fails it. */
export function settleSocket(socket: SslSocket, ports: SslPorts | null, err: Error | null): void {
  settle(socket, ports, err);
}

/**
 * The socket view of a connection: one `Duplex`, shaped like `tls.TLSSocket` (see {@link SslSocket}),
 * over the `[input, output]` ports of any connection (`sslConnect`, `sslAccept`, `portsToSslPorts`,
 * the upgrades). The ports belong to the socket from then on: read and write through it.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { sslAccept, sslPortsToSocket } from 'openssl-ports';
 * const server = createServer((req, res) => res.end(`hello ${req.socket.remoteAddress}\n`));
 * const [input, output] = await sslAccept(listener);
 * server.emit('connection', sslPortsToSocket(input, output));
 * ```
 */
export function sslPortsToSocket(input: SslInputPort, output: SslOutputPort, options: SslSocketOptions = {}): SslSocket {
  const who = 'sslPortsToSocket';
  if (!(input instanceof SslInputPort)) throw typeError(who, 'input', 'an SSL input port', input);
  if (!(output instanceof SslOutputPort)) throw typeError(who, 'output', 'an SSL output port', output);
  if (connectionOf(who, input) !== connectionOf(who, output)) throw new TypeError(`${who}: input and output must be the ports of one connection`);
  if (options === null || typeof options !== 'object') throw typeError(who, 'options', 'an options object', options);
  for (const k of Object.keys(options)) if (k !== 'allowHalfOpen') throw new TypeError(`${who}: unknown option ${JSON.stringify(k)}`);
  return new SslSocket([input, output], { allowHalfOpen: options.allowHalfOpen ?? false });
}
