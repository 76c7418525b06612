/**
 * `portsToSslPorts`: TLS over any pair of Node streams (pipes, a child process, a socket already in
 * use by a plaintext protocol …).
 *
 * @module
 */
import { Readable, Writable } from 'node:stream';
import { alpnWire } from '../context/alpn-wire.js';
import { startConnection } from './start.js';
import { SslContext, clientContextFor, serverContextFor, contextOf } from '../context/context.js';
import type { SslProtocol } from '../context/protocols.js';
import { SslError } from '../errors.js';
import { typeError, assertHostname } from '../assert.js';
import { checkAlpnList, checkOptionsObject, checkSignal, checkTimeout, DEFAULT_HANDSHAKE_TIMEOUT } from './options.js';
import type { SslPorts } from './client.js';

/**
 * Options of {@link portsToSslPorts}.
 *
 * @example
 * ```ts
 * import { portsToSslPorts, sslSecureClientContext } from 'openssl-ports';
 * const [input, output] = await portsToSslPorts(socket, socket, {
 *   mode: 'connect',
 *   context: sslSecureClientContext(),
 *   hostname: 'mail.example.com',
 *   alpn: [Buffer.from('smtp')],
 *   closeOriginal: true, // closing both SSL ports closes the socket
 *   shutdownOnClose: true, // ending the output port sends close_notify
 * });
 * ```
 */
export interface PortsToSslPortsOptions {
  /** `'accept'` (server, the default) or `'connect'` (client). */
  mode?: 'connect' | 'accept';
  /** A client context for `'connect'`, a server context for `'accept'`; default: made from `encrypt`. */
  context?: SslContext;
  /** The protocol used to make a context when none is given (default `'auto'`). */
  encrypt?: SslProtocol;
  /** Close the given streams when both SSL ports are closed (default false). */
  closeOriginal?: boolean;
  /** Send close_notify when the output port is closed (default false). */
  shutdownOnClose?: boolean;
  /**
   * Converts every communication error of these ports before it is raised (the seed's `#:error/ssl`):
   * a failed handshake (the returned promise rejects with it), and after the handshake a bad record,
   * a reset or a failed write (the ports' `'error'` events and write callbacks carry it). Its result
   * (or what it throws) is raised instead; returning nothing keeps the `SslError`. Argument errors
   * (`TypeError`/`RangeError`) and a failed live `sslSetVerify` are not communication errors.
   *
   * @example
   * ```ts
   * const [input] = await portsToSslPorts(a, b, { mode: 'connect', error: (e) => new MyProtocolError(e.message, { cause: e }) });
   * input.on('error', (e) => console.log(e instanceof MyProtocolError)); // true, for a bad record too
   * ```
   */
  error?: (e: SslError) => unknown;
  /** The server's name: sent as SNI and verified when hostname verification is on (connect mode). */
  hostname?: string | null;
  /** ALPN protocols for connect mode; refused in accept mode (use `sslSetServerAlpn`). */
  alpn?: Uint8Array[];
  /** Cancels the handshake. */
  signal?: AbortSignal;
  /** Handshake time limit in ms (default 30 s); `0`, `Infinity` or 2**31 - 1 and more: no limit; negative: `RangeError`. */
  timeout?: number;
  /** Resume a session cached on the context for `hostname` (default true). */
  reuseSession?: boolean;
}

const WRAP_OPTIONS: Record<keyof PortsToSslPortsOptions, true> = {
  mode: true, context: true, encrypt: true, closeOriginal: true, shutdownOnClose: true, error: true,
  hostname: true, alpn: true, signal: true, timeout: true, reuseSession: true,
};

/**
 * Runs TLS over `input` (ciphertext from the peer) and `output` (ciphertext to the peer) and resolves
 * to the decrypted `[input, output]` ports once the handshake is complete.
 *
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * import { portsToSslPorts } from 'openssl-ports';
 * const child = spawn('openssl', ['s_server', '-quiet', '-cert', 'certs/test.pem', '-accept', '8443']);
 * // … or any stream pair, e.g. a socket after a plaintext STARTTLS exchange:
 * const [input, output] = await portsToSslPorts(socket, socket, { mode: 'connect', hostname: 'mail.example.com' });
 * ```
 */
export async function portsToSslPorts(input: Readable, output: Writable, options: PortsToSslPortsOptions = {}): Promise<SslPorts> {
  const who = 'portsToSslPorts';
  if (!(input instanceof Readable) && !isReadableLike(input)) throw typeError(who, 'input', 'a Readable stream', input);
  if (!(output instanceof Writable) && !isWritableLike(output)) throw typeError(who, 'output', 'a Writable stream', output);
  const opts = checkOptionsObject(who, options, WRAP_OPTIONS) as PortsToSslPortsOptions;
  const mode = opts.mode ?? 'accept';
  if (mode !== 'connect' && mode !== 'accept') throw new RangeError(`${who}: mode must be 'connect' or 'accept', got ${JSON.stringify(mode)}`);
  const alpn = checkAlpnList(who, opts.alpn);
  alpnWire(who, alpn);
  if (mode === 'accept' && alpn.length > 0) {
    throw new SslError(`${who}: alpn is only for connect mode; use sslSetServerAlpn on the server context`, { code: 'ERR_SSL_ALPN_ACCEPT' });
  }
  const hostname = opts.hostname ?? null;
  if (hostname !== null) assertHostname(who, 'hostname', hostname);
  if (opts.error !== undefined && typeof opts.error !== 'function') throw typeError(who, 'error', 'a function', opts.error);
  const signal = checkSignal(who, opts.signal);
  const timeout = checkTimeout(who, opts.timeout);
  let context: SslContext;
  if (opts.context !== undefined && opts.context !== null) {
    context = contextOf(who, opts.context, { side: mode === 'connect' ? 'client' : 'server' }).handle;
  } else {
    context = mode === 'connect' ? clientContextFor(who, opts.encrypt ?? 'auto') : serverContextFor(who, opts.encrypt ?? 'auto');
  }
  return startConnection({
    who,
    mode,
    context,
    hostname,
    alpn,
    sessionKey: mode === 'connect' && hostname ? `wrapped:${hostname}` : null,
    reuseSession: opts.reuseSession ?? true,
    input,
    output,
    socket: null,
    closeTransport: Boolean(opts.closeOriginal),
    shutdownOnClose: Boolean(opts.shutdownOnClose),
    handshakeTimeout: timeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    signal,
    // Every communication error of these ports, during the handshake and after it.
    raiseAs: opts.error ?? null,
  });
}

function isReadableLike(v: unknown): v is Readable {
  return v !== null && typeof v === 'object' && typeof (v as Readable).on === 'function' && typeof (v as Readable).pause === 'function';
}

function isWritableLike(v: unknown): v is Writable {
  return v !== null && typeof v === 'object' && typeof (v as Writable).write === 'function' && typeof (v as Writable).end === 'function';
}
