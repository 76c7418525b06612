/**
 * Gerbil's `ssl-listen addr context: … backlog: …` form of `sslListen`: an address string and an
 * options object, turned into the positional Racket arguments.
 *
 * @module
 */
import { assertInteger, assertPortNumber, typeError } from '../assert.js';
import type { SslContext } from '../context/context.js';
import type { SslProtocol } from '../context/protocols.js';
import { checkListenOptions, type SslListenOptions } from './server.js';
import { MAX_BACKLOG } from './options.js';

/**
 * Options of Gerbil's form of `sslListen` (`ssl-listen addr context: … backlog: …`), besides the
 * listener options every form takes ({@link SslListenOptions}):
 * `sslListen('127.0.0.1:8443', { context, backlog })`. Accept with `sslAccept(listener)` or
 * `listener.accept()`, close with `sslClose(listener)` or `listener.close()` (Gerbil's
 * `ServerSocket-accept` / `ServerSocket-close`).
 *
 * @example
 * ```ts
 * import { sslListen, makeServerSslContext, type GerbilListenOptions } from 'openssl-ports';
 * const options: GerbilListenOptions = { context: makeServerSslContext('certs/server-rsa-chain.pem', 'certs/server-rsa.key'), backlog: 32 };
 * const listener = await sslListen('127.0.0.1:8443', options);
 * const [input, output] = await listener.accept();
 * await listener.close();
 * ```
 */
export interface GerbilListenOptions extends SslListenOptions {
  /** The server context (required, as in Gerbil), or a protocol symbol to make one from. */
  context: SslContext | SslProtocol;
  /** The listen backlog (Gerbil's default: 10). */
  backlog?: number;
}

/** Gerbil's `default-server-backlog`. */
export const GERBIL_DEFAULT_BACKLOG = 10;

/** The Racket arguments of a Gerbil-form call: `sslListen(port, backlog, false, host, context)`. */
export interface ListenArguments {
  port: number;
  host: string | null;
  backlog: number;
  context: SslContext | SslProtocol;
  listenerOptions: SslListenOptions;
}

/** Parses `'host:port'`, `'[v6]:port'` or `':port'` (every address) and the options. */
export function gerbilListenArguments(who: string, addr: string, options: unknown): ListenArguments {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(addr);
  if (!m) throw new RangeError(`${who}: addr must be "host:port", "[ipv6]:port" or ":port", got ${JSON.stringify(addr)}`);
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  assertPortNumber(who, 'addr port', port, 0);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(who, 'options', 'an options object with a context', options);
  }
  const { context, backlog: given, ...rest } = options as GerbilListenOptions;
  const listenerOptions = checkListenOptions(who, rest); // refuses unknown keys
  const o = { context, backlog: given };
  if (o.context === undefined || o.context === null) throw typeError(who, 'options.context', 'a server context or protocol symbol', o.context);
  const backlog = o.backlog ?? GERBIL_DEFAULT_BACKLOG;
  assertInteger(who, 'options.backlog', backlog, 0, MAX_BACKLOG);
  return { port, host: host === '' ? null : host, backlog, context: o.context, listenerOptions };
}
