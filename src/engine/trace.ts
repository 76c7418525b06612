/**
 * `NODE_DEBUG=openssl-ports` tracing, as `util.debuglog` does it: one line per handshake step
 * (OpenSSL's state names), alert, handshake result, error and close, on stderr. Nothing that comes
 * from keys is ever traced: no key-log lines, no secrets, no record contents.
 *
 * @module
 */
import { debuglog } from 'node:util';
import type { Native } from '../ffi/native.js';
import type { Ptr } from '../ffi/bindings.js';

const log = debuglog('openssl-ports');

/** Whether tracing is on (`NODE_DEBUG` names `openssl-ports`), read once when the library loads. */
export const tracing: boolean = log.enabled;

let serial = 0;

/** A short label for one connection's trace lines: `sslConnect#3`. */
export function traceLabel(who: string): string {
  return `${who}#${++serial}`;
}

/** Writes one trace line (no-op unless tracing). */
export function trace(label: string, text: string): void {
  if (tracing) log('%s %s', label, text);
}

const SSL_CB_LOOP = 0x01;
const SSL_CB_EXIT = 0x02;
const SSL_CB_READ = 0x04;
const SSL_CB_ALERT = 0x4000;
const SSL_CB_HANDSHAKE_START = 0x10;
const SSL_CB_HANDSHAKE_DONE = 0x20;

/** Traces one call of OpenSSL's info callback (`SSL_set_info_callback`) for connection `ssl`. */
export function traceInfo(n: Native, label: string, ssl: Ptr, where: number, ret: number): void {
  if (!tracing) return;
  if (where & SSL_CB_ALERT) {
    const dir = where & SSL_CB_READ ? 'received' : 'sent';
    trace(label, `alert ${dir}: ${n.ssl.SSL_alert_type_string_long(ret)} ${n.ssl.SSL_alert_desc_string_long(ret)}`);
  } else if (where & SSL_CB_HANDSHAKE_START) {
    trace(label, 'handshake start');
  } else if (where & SSL_CB_HANDSHAKE_DONE) {
    trace(label, 'handshake done');
  } else if (where & SSL_CB_LOOP) {
    trace(label, `step: ${n.ssl.SSL_state_string_long(ssl)}`);
  } else if (where & SSL_CB_EXIT && ret === 0) {
    trace(label, `failed in: ${n.ssl.SSL_state_string_long(ssl)}`);
  }
}

/** One line with what a handshake negotiated on `ssl` (names only, never secrets); `verify` says how the peer's certificate fared. */
export function traceOpen(n: Native, label: string, ssl: Ptr, verify: string): void {
  const cipher = n.ssl.SSL_get_current_cipher(ssl);
  trace(label, `open: ${n.ssl.SSL_get_version(ssl)} ${cipher ? n.ssl.SSL_CIPHER_get_name(cipher) : '?'}, resumed ${n.ssl.SSL_session_reused(ssl) === 1}, peer certificate ${verify}`);
}
