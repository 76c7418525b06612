/**
 * Per-context features: server ALPN, key logging, SNI context switching, and the deprecated
 * (no-op) Diffie-Hellman settings.
 *
 * @module
 */
import { contextOf, isSslServerContext, type SslContext } from './context.js';
import { alpnWire } from './alpn-wire.js';
import { assertFunction, typeError } from '../assert.js';

/**
 * Sets the ALPN protocols a server context accepts, most preferred first: the server picks its first
 * protocol the client also offers. A client without ALPN is accepted with none selected; a client
 * with no protocol in common is accepted with none selected when `allowNoMatch` is true (the
 * default), refused otherwise.
 *
 * @example
 * ```ts
 * import { sslMakeServerContext, sslSetServerAlpn } from 'openssl-ports';
 * const ctx = sslMakeServerContext();
 * sslSetServerAlpn(ctx, [Buffer.from('h2'), Buffer.from('http/1.1')]);
 * ```
 */
export function sslSetServerAlpn(context: SslContext, alpnProtocols: Uint8Array[], allowNoMatch: unknown = true): void {
  const who = 'sslSetServerAlpn';
  const ctx = contextOf(who, context, { side: 'server' });
  if (!Array.isArray(alpnProtocols)) throw typeError(who, 'alpnProtocols', 'an array of Buffers', alpnProtocols);
  const wire = alpnWire(who, alpnProtocols);
  ctx.assertMutable(who);
  ctx.serverAlpn = wire.length ? { wire, allowNoMatch: Boolean(allowNoMatch) } : null;
}

/**
 * Calls `logger` with one NSS key-log line (as Wireshark's `SSLKEYLOGFILE` reads them, without the
 * newline) whenever a connection of `context` makes or receives key material; `null` stops it.
 * Anyone who sees these lines can decrypt the connections: use for debugging only.
 *
 * @example
 * ```ts
 * import { appendFileSync } from 'node:fs';
 * import { sslMakeClientContext, sslSetKeylogger } from 'openssl-ports';
 * const ctx = sslMakeClientContext();
 * sslSetKeylogger(ctx, (line) => appendFileSync('keylog.txt', Buffer.concat([line, Buffer.from('\n')])));
 * ```
 */
export function sslSetKeylogger(context: SslContext, logger: ((line: Buffer) => void) | null): void {
  const who = 'sslSetKeylogger';
  const ctx = contextOf(who, context);
  if (logger !== null) assertFunction(who, 'logger', logger);
  ctx.assertMutable(who);
  ctx.keylogger = logger;
  ctx.hookKeylog(logger !== null);
}

/**
 * Lets a server context switch to another server context per connection, by the name the client
 * sent with SNI: `callback(hostname)` returns the context to use, or null to keep this one.
 *
 * @example
 * ```ts
 * import { sslSetServerNameIdentificationCallback } from 'openssl-ports';
 * const pick = (name: string) => (name === 'b.example' ? ctxB : null);
 * sslSetServerNameIdentificationCallback(ctxA, pick);
 * sslSetServerNameIdentificationCallback(ctxB, pick);
 * ```
 */
export function sslSetServerNameIdentificationCallback(context: SslContext, callback: (hostname: string) => SslContext | null): void {
  const who = 'sslSetServerNameIdentificationCallback';
  const ctx = contextOf(who, context, { side: 'server' });
  assertFunction(who, 'callback', callback);
  ctx.assertMutable(who);
  ctx.sniCallback = (hostname: string) => {
    const r = callback(hostname);
    if (r === null || r === undefined || (r as unknown) === false) return null;
    if (isSslServerContext(r)) return r;
    throw new TypeError(`${who}: the callback must return a server context or null`);
  };
}

const warned = new Set<string>();
function deprecated(who: string): void {
  if (warned.has(who)) return;
  warned.add(who);
  process.emitWarning(`${who} is deprecated and has no effect: ephemeral (EC)DHE key exchange is enabled by default`, {
    type: 'DeprecationWarning',
    code: 'OPENSSL_PORTS_DEPRECATED',
  });
}

/**
 * Deprecated, no effect (ephemeral DHE is on by default); warns once.
 *
 * @example
 * ```ts
 * import { sslServerContextEnableDhe } from 'openssl-ports';
 * sslServerContextEnableDhe(ctx); // DeprecationWarning, nothing else
 * ```
 */
export function sslServerContextEnableDhe(context: SslContext, dhParam: string | Uint8Array = sslDh4096ParamBytes): void {
  contextOf('sslServerContextEnableDhe', context, { side: 'server' });
  void dhParam;
  deprecated('sslServerContextEnableDhe');
}

/**
 * Deprecated, no effect (ephemeral ECDHE is on by default); warns once.
 *
 * @example
 * ```ts
 * import { sslServerContextEnableEcdh } from 'openssl-ports';
 * sslServerContextEnableEcdh(ctx, 'secp256r1'); // DeprecationWarning, nothing else
 * ```
 */
export function sslServerContextEnableEcdh(context: SslContext, curveName: string = 'ignored'): void {
  contextOf('sslServerContextEnableEcdh', context, { side: 'server' });
  void curveName;
  deprecated('sslServerContextEnableEcdh');
}

/**
 * Racket's actual spelling of {@link sslServerContextEnableEcdh}: deprecated, no effect.
 *
 * @example
 * ```ts
 * import { sslServerContextEnableEcdhe } from 'openssl-ports';
 * sslServerContextEnableEcdhe(ctx);
 * ```
 */
export function sslServerContextEnableEcdhe(context: SslContext, curveName: string = 'ignored'): void {
  contextOf('sslServerContextEnableEcdhe', context, { side: 'server' });
  void curveName;
  deprecated('sslServerContextEnableEcdhe');
}

/**
 * Deprecated: an empty byte string, kept for compatibility (see {@link sslServerContextEnableDhe}).
 *
 * @example
 * ```ts
 * import { sslDh4096ParamBytes } from 'openssl-ports';
 * sslDh4096ParamBytes.length; // 0
 * ```
 */
export const sslDh4096ParamBytes: Buffer = Buffer.alloc(0);
