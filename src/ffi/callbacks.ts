/**
 * OpenSSL → JavaScript callbacks. Each kind has exactly one trampoline, registered once per process
 * with `koffi.register` and never unregistered; it finds the JavaScript side through a map keyed by
 * the `SSL *` the callback is about. Every body is wrapped in try/catch: an exception would return 0
 * to C, which for some callbacks (ALPN) means success.
 *
 * @module
 */
import { koffi } from './koffi.js';
import { native, available, readMemory } from './native.js';
import type { Ptr } from './bindings.js';

/** SSL_TLSEXT_ERR_* values returned by the ALPN and server-name callbacks. */
export const TLSEXT_ERR = { OK: 0, ALERT_WARNING: 1, ALERT_FATAL: 2, NOACK: 3 } as const;

/** What a connection wants to hear from OpenSSL's callbacks. */
export interface SslHooks {
  /** Certificate verification of one chain element; returns whether to continue the handshake. */
  onVerify(preverifyOk: boolean, storeCtx: Ptr): boolean;
  /** Server-side ALPN selection; returns a `TLSEXT_ERR` value. */
  onAlpnSelect(out: unknown, outLen: unknown, client: unknown, clientLen: number): number;
  /** One NSS key-log line. */
  onKeylog(line: string): void;
  /** The ClientHello's server name arrived (server side); returns a `TLSEXT_ERR` value. */
  onServername(): number;
  /** A new session (ticket) for resumption; returns true when it keeps the reference. */
  onNewSession(session: Ptr): boolean;
  /** A TLS message was sent or received (only while a message callback is installed on the SSL). */
  onMessage(written: boolean, contentType: number, firstByte: number): void;
  /** OpenSSL's info callback (only while tracing): a handshake step, an alert. */
  onInfo?(where: number, ret: number): void;
}

const hooksBySsl = new Map<Ptr, SslHooks>();

/** Routes the callbacks of `ssl` to `hooks` until {@link detachHooks}. */
export function attachHooks(ssl: Ptr, hooks: SslHooks): void {
  hooksBySsl.set(ssl, hooks);
}

/** Stops routing callbacks of `ssl` (call before `SSL_free`). */
export function detachHooks(ssl: Ptr): void {
  hooksBySsl.delete(ssl);
}

/** Runs a callback body; an exception must not reach C (it would return 0, which means "OK" to some). */
function guard<T>(fallback: T, body: () => T): T {
  try {
    return body();
  } catch {
    return fallback;
  }
}

let storeCtxSslIndex = -1;

function sslOfStoreCtx(storeCtx: Ptr): Ptr {
  const { ssl, crypto } = native('verify');
  if (storeCtxSslIndex < 0) storeCtxSslIndex = ssl.SSL_get_ex_data_X509_STORE_CTX_idx();
  return crypto.X509_STORE_CTX_get_ex_data(storeCtx, storeCtxSslIndex);
}

function register(decl: string, fn: (...args: never[]) => unknown): unknown {
  if (!koffi) throw new Error('koffi is not loaded'); // unreachable: `available` implies koffi
  const proto = koffi.proto(decl);
  return koffi.register(fn as (...args: unknown[]) => unknown, koffi.pointer(proto));
}

/** Function pointers to hand to OpenSSL, or null when OpenSSL is not loaded. */
export const trampolines = available
  ? {
      verify: register('int opp_verify_cb(int ok, uintptr_t storeCtx)', (ok: number, storeCtx: Ptr) =>
        guard(0, () => {
          const hooks = hooksBySsl.get(sslOfStoreCtx(storeCtx));
          if (!hooks) return ok;
          return hooks.onVerify(ok === 1, storeCtx) ? 1 : 0;
        }),
      ),
      alpnSelect: register(
        'int opp_alpn_cb(uintptr_t ssl, void *out, void *outLen, void *client, unsigned int clientLen, uintptr_t arg)',
        (s: Ptr, out: unknown, outLen: unknown, client: unknown, clientLen: number) =>
          guard<number>(TLSEXT_ERR.ALERT_FATAL, () => {
            const hooks = hooksBySsl.get(s);
            return hooks ? hooks.onAlpnSelect(out, outLen, client, clientLen) : TLSEXT_ERR.NOACK;
          }),
      ),
      keylog: register('void opp_keylog_cb(uintptr_t ssl, const char *line)', (s: Ptr, line: string) =>
        guard(undefined, () => {
          hooksBySsl.get(s)?.onKeylog(line);
        }),
      ),
      servername: register('int opp_servername_cb(uintptr_t ssl, void *alert, uintptr_t arg)', (s: Ptr) =>
        guard<number>(TLSEXT_ERR.ALERT_FATAL, () => {
          const hooks = hooksBySsl.get(s);
          return hooks ? hooks.onServername() : TLSEXT_ERR.NOACK;
        }),
      ),
      message: register(
        'void opp_msg_cb(int writeP, int version, int contentType, uintptr_t buf, size_t len, uintptr_t ssl, uintptr_t arg)',
        (writeP: number, _version: number, contentType: number, buf: Ptr, len: number, s: Ptr) =>
          guard(undefined, () => {
            const hooks = hooksBySsl.get(s);
            if (hooks) hooks.onMessage(writeP === 1, contentType, len > 0 ? readMemory(buf, 1)[0]! : -1);
          }),
      ),
      info: register('void opp_info_cb(uintptr_t ssl, int where, int ret)', (s: Ptr, where: number, ret: number) =>
        guard(undefined, () => {
          hooksBySsl.get(s)?.onInfo?.(where, ret);
        }),
      ),
      newSession: register('int opp_new_session_cb(uintptr_t ssl, uintptr_t session)', (s: Ptr, session: Ptr) =>
        guard(0, () => {
          const hooks = hooksBySsl.get(s);
          return hooks && hooks.onNewSession(session) ? 1 : 0;
        }),
      ),
    }
  : null;
