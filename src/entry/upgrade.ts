/**
 * STARTTLS: turning a connected plaintext socket (a `net.Socket` or any Duplex) into TLS, as Gerbil's
 * `ssl-client-upgrade` and `ssl-server-upgrade` do. Bytes of the ClientHello that arrived together
 * with the plaintext command are not lost: put them back with `socket.unshift(bytes)` or pass them
 * as `initialData`.
 *
 * @module
 */
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { startConnection } from './start.js';
import { contextOf, type SslContext } from '../context/context.js';
import { sslSecureClientContext } from '../context/secure.js';
import { assertBytes, assertHostname, typeError } from '../assert.js';
import { asCaller } from '../errors.js';
import { checkOptionsObject, checkTimeout, DEFAULT_HANDSHAKE_TIMEOUT } from './options.js';
import type { SslPorts } from './client.js';

/**
 * Options of {@link sslClientUpgrade}.
 *
 * @example
 * ```ts
 * import { sslClientUpgrade, makeClientSslContext } from 'openssl-ports';
 * const [input, output] = await sslClientUpgrade(socket, { context: makeClientSslContext('tls13'), host: 'mail.example.com', timeout: 10_000 });
 * ```
 */
export interface SslClientUpgradeOptions {
  /** Handshake time limit in ms (default 30 s); `0`, `Infinity` or 2**31 - 1 and more: no limit; negative: `RangeError`. */
  timeout?: number;
  /** The client context (default: `defaultClientSslContext()`, which verifies against the system store). */
  context?: SslContext;
  /** The server's name: sent as SNI and verified when the context checks hostnames. */
  host?: string;
  /** Ciphertext already read from the socket. */
  initialData?: Uint8Array;
  /** Resume a session cached on the context for `host` (default true). */
  reuseSession?: boolean;
  /** Ending the output port sends close_notify (default false: the seed's rule). */
  shutdownOnClose?: boolean;
}

/**
 * Options of {@link sslServerUpgrade}.
 *
 * @example
 * ```ts
 * import { sslServerUpgrade } from 'openssl-ports';
 * // `rest`: bytes that arrived after the "STARTTLS\r\n" line (the start of the ClientHello)
 * const [input, output] = await sslServerUpgrade(socket, ctx, { initialData: rest, timeout: 10_000 });
 * ```
 */
export interface SslServerUpgradeOptions {
  /** Handshake time limit in ms (default 30 s); `0`, `Infinity` or 2**31 - 1 and more: no limit; negative: `RangeError`. */
  timeout?: number;
  /** Ciphertext already read from the socket (e.g. the start of the ClientHello after "STARTTLS\r\n"). */
  initialData?: Uint8Array;
  /** Ending the output port sends close_notify (default false: the seed's rule). */
  shutdownOnClose?: boolean;
}

const CLIENT_UPGRADE_OPTIONS: Record<keyof SslClientUpgradeOptions, true> = { timeout: true, context: true, host: true, initialData: true, reuseSession: true, shutdownOnClose: true };
const SERVER_UPGRADE_OPTIONS: Record<keyof SslServerUpgradeOptions, true> = { timeout: true, initialData: true, shutdownOnClose: true };

function checkSocket(who: string, socket: unknown): Duplex {
  if (socket instanceof Duplex) return socket;
  throw typeError(who, 'socket', 'a connected net.Socket or Duplex stream', socket);
}

/**
 * Upgrades a connected client-side socket to TLS (the programmatic equivalent of STARTTLS) and
 * resolves to the TLS `[input, output]` ports once the handshake is done. The socket belongs to the
 * TLS connection from then on and is closed when both ports are closed.
 *
 * @example
 * ```ts
 * import { connect } from 'node:net';
 * import { sslClientUpgrade } from 'openssl-ports';
 * const socket = connect(25, 'mail.example.com');
 * // … read the greeting, send "STARTTLS\r\n", read "220 ready" …
 * const [input, output] = await sslClientUpgrade(socket, { host: 'mail.example.com' });
 * ```
 */
export async function sslClientUpgrade(socket: Duplex, options: SslClientUpgradeOptions = {}): Promise<SslPorts> {
  const who = 'sslClientUpgrade';
  const s = checkSocket(who, socket);
  const opts = checkOptionsObject(who, options, CLIENT_UPGRADE_OPTIONS) as SslClientUpgradeOptions;
  const timeout = checkTimeout(who, opts.timeout);
  const host = opts.host ?? null;
  if (host !== null) assertHostname(who, 'host', host);
  if (opts.initialData !== undefined) assertBytes(who, 'initialData', opts.initialData);
  const context = opts.context === undefined || opts.context === null ? asCaller(who, sslSecureClientContext) : contextOf(who, opts.context, { side: 'client' }).handle;
  return upgrade(who, 'connect', s, context, host, timeout, opts.initialData, opts.reuseSession ?? true, checkShutdown(who, opts.shutdownOnClose));
}

/**
 * Upgrades a connected server-side socket to TLS with a server context (the answer to STARTTLS) and
 * resolves to the TLS `[input, output]` ports once the handshake is done.
 *
 * @example
 * ```ts
 * import { sslServerUpgrade, makeServerSslContext } from 'openssl-ports';
 * const ctx = makeServerSslContext('certs/server-rsa-chain.pem', 'certs/server-rsa.key');
 * // … after reading "STARTTLS\r\n" and answering "220 ready\r\n":
 * const [input, output] = await sslServerUpgrade(socket, ctx);
 * ```
 */
export async function sslServerUpgrade(socket: Duplex, context: SslContext, options: SslServerUpgradeOptions = {}): Promise<SslPorts> {
  const who = 'sslServerUpgrade';
  const s = checkSocket(who, socket);
  const ctx = contextOf(who, context, { side: 'server' }).handle;
  const opts = checkOptionsObject(who, options, SERVER_UPGRADE_OPTIONS) as SslServerUpgradeOptions;
  const timeout = checkTimeout(who, opts.timeout);
  if (opts.initialData !== undefined) assertBytes(who, 'initialData', opts.initialData);
  return upgrade(who, 'accept', s, ctx, null, timeout, opts.initialData, false, checkShutdown(who, opts.shutdownOnClose));
}

function checkShutdown(who: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw typeError(who, 'shutdownOnClose', 'a boolean', v);
  return v;
}

/** The TLS connection of an upgrade: the socket belongs to it from now on. */
function upgrade(
  who: string,
  mode: 'connect' | 'accept',
  s: Duplex,
  context: SslContext,
  host: string | null,
  timeout: number | null,
  initialData: Uint8Array | undefined,
  reuseSession: boolean,
  shutdownOnClose: boolean,
): Promise<SslPorts> {
  if (s instanceof Socket) s.setNoDelay(true);
  return startConnection({
    who,
    mode,
    context,
    hostname: host,
    sessionKey: host ? `upgrade:${host}` : null,
    reuseSession,
    input: s,
    output: s,
    socket: s instanceof Socket ? s : null,
    closeTransport: true,
    shutdownOnClose,
    handshakeTimeout: timeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    initialData: initialData ? Buffer.from(initialData) : null,
  });
}
