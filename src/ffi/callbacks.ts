/**
 * OpenSSL → JavaScript callbacks. Each kind has exactly one trampoline (`koffi.register`), made the
 * first time one is needed (a worker that only imports the library takes none of koffi's 8,192
 * process-wide slots); it finds the JavaScript side through a map keyed by the `SSL *` the callback
 * is about. Every body is wrapped in try/catch: an exception would return 0 to C, which for some
 * callbacks (ALPN) means success.
 *
 * Worker threads. koffi's slots are per process and koffi gives a slot back only on
 * `koffi.unregister` (not when the worker's environment is torn down), so a worker's trampolines are
 * unregistered when the worker exits (`process.on('exit')`: a natural end or `process.exit()`), after
 * every connection of the worker has been freed and with further OpenSSL use refused, so that no
 * `SSL` of the worker can call them afterwards. `process.exit()` called by user code that OpenSSL runs
 * (a key logger, an SNI callback) is deferred until OpenSSL has returned: ending the worker inside a
 * koffi callback makes koffi's `napi_call_function` fail and node-addon-api abort the whole process
 * ("FATAL ERROR: Error::Error napi_define_properties" / "napi_throw").
 *
 * `worker.terminate()` runs no JavaScript in the worker ('exit' is not emitted). If it lands while the
 * worker is inside an OpenSSL call that then calls back, koffi's relay (3.x: `CallData::CallCallback`)
 * gets `napi_cannot_run_js`/`napi_pending_exception` from `napi_call_function` and returns to C without
 * a JavaScript value and without throwing; OpenSSL finishes that call in C (its output stays in the memory
 * BIO: no JavaScript moves it to the socket again) and V8 unwinds the worker. koffi 2.x aborted the whole
 * process there (node-addon-api's `napi_throw` fatal error), hence koffi >= 3. A terminated worker's
 * slots are not given back (koffi's instance destructor clears them without returning them to the pool),
 * nor are its OpenSSL objects freed; its `SSL`s are never driven again.
 *
 * @module
 */
import { koffi } from './koffi.js';
import { isMainThread } from 'node:worker_threads';
import { native, available, readMemory, retireNative } from './native.js';
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
  /** Frees the connection's `SSL` (the worker is exiting). */
  release(): void;
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

/** How many trampolines are on the stack (OpenSSL may run user code that makes other SSL calls). */
let depth = 0;
/** A `process.exit(code)` asked for inside a callback, carried out once OpenSSL has returned. */
let exitRequested: { code: number | string | null | undefined } | null = null;
const realExit = process.exit;
/** Thrown out of user code that called `process.exit()` inside a callback: it stops like exit would. */
class ExitDeferred extends Error {}

function deferredExit(code?: number | string | null): never {
  exitRequested ??= { code };
  throw new ExitDeferred('process.exit() inside an OpenSSL callback: deferred until OpenSSL returns');
}

function exitLater(): void {
  if (depth > 0) {
    setImmediate(exitLater);
    return;
  }
  const req = exitRequested;
  exitRequested = null;
  if (req) realExit.call(process, req.code as number | undefined);
}

/**
 * Runs a callback body; an exception must not reach C (it would return 0, which means "OK" to some),
 * and in a worker `process.exit()` must not end the thread while OpenSSL is on the stack.
 */
function guard<T>(fallback: T, body: () => T): T {
  const swap = !isMainThread && depth === 0;
  if (swap) process.exit = deferredExit;
  depth++;
  try {
    return exitRequested ? fallback : body();
  } catch {
    return fallback;
  } finally {
    depth--;
    if (swap) {
      process.exit = realExit;
      if (exitRequested) queueMicrotask(exitLater);
    }
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

/** The trampolines, one per kind of callback. */
type Table = Record<'verify' | 'alpnSelect' | 'keylog' | 'servername' | 'message' | 'info' | 'newSession', unknown>;

function registerAll(): Table {
  const table: Table = {
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
    };
  if (!isMainThread) process.once('exit', retire);
  return table;
}

let table: Table | null = null;
let retired = false;

/**
 * The worker is exiting: free its connections, refuse further OpenSSL use, and give koffi's slots back.
 * (Contexts keep their callback pointers, but OpenSSL calls them only through an `SSL`, and none is
 * left or can be made.)
 */
function retire(): void {
  retired = true;
  retireNative('the worker thread is exiting');
  for (const hooks of [...hooksBySsl.values()]) {
    try {
      hooks.release();
    } catch {
      /* keep going: the slots must be returned */
    }
  }
  hooksBySsl.clear();
  const t = table;
  table = null;
  if (!t) return;
  for (const fn of Object.values(t)) {
    try {
      koffi?.unregister(fn as Parameters<NonNullable<typeof koffi>['unregister']>[0]);
    } catch {
      /* already gone */
    }
  }
}

function lazyTable(): Table {
  const lazy = {} as Table;
  for (const kind of ['verify', 'alpnSelect', 'keylog', 'servername', 'message', 'info', 'newSession'] as const) {
    Object.defineProperty(lazy, kind, {
      enumerable: true,
      get: () => (retired ? null : (table ??= registerAll())[kind]),
    });
  }
  return lazy;
}

/**
 * Function pointers to hand to OpenSSL (registered on first use), or null when OpenSSL is not loaded.
 *
 * @example
 * ```ts
 * ssl.SSL_CTX_set_keylog_callback(ctx, trampolines!.keylog);
 * ```
 */
export const trampolines: Table | null = available ? lazyTable() : null;
