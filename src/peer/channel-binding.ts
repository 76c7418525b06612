/**
 * Channel bindings (RFC 5929, RFC 9266): values that tie an authentication run over TLS to this TLS
 * connection, equal on both ends.
 *
 * @module
 */
import { native, clearErrors, drainErrors } from '../ffi/native.js';
import { created, freed } from '../ffi/objects.js';
import { connectionOf } from '../engine/registry.js';
import { SslError, asCaller } from '../errors.js';
import type { SslPort } from '../ports/ports.js';
import type { Ptr } from '../ffi/bindings.js';

/**
 * A channel binding type (RFC 9266 `tls-exporter`, RFC 5929 `tls-unique` and `tls-server-end-point`).
 *
 * @example
 * ```ts
 * import { sslChannelBinding, type ChannelBindingType } from 'openssl-ports';
 * const type: ChannelBindingType = 'tls-exporter';
 * const binding = sslChannelBinding(input, type); // the same bytes on both ends of the connection
 * ```
 */
export type ChannelBindingType = 'tls-exporter' | 'tls-unique' | 'tls-server-end-point';

const TLS1_3_VERSION = 0x0304;
const NID_md5 = 4;
const NID_sha1 = 64;
const EXPORTER_LABEL = Buffer.from('EXPORTER-Channel-Binding');

function fail(who: string, why: string): SslError {
  return new SslError(`${who}: ${why}`, { code: 'ERR_SSL_CHANNEL_BINDING' });
}

function serverEndPoint(who: string, s: Ptr, isClient: boolean): Buffer {
  const { ssl, crypto } = native(who);
  let x: Ptr;
  let owned = false;
  if (isClient) {
    x = created('X509', ssl.SSL_get1_peer_certificate(s));
    owned = true;
  } else x = ssl.SSL_get_certificate(s);
  if (!x) throw fail(who, 'tls-server-end-point needs the server certificate, and there is none');
  try {
    const sigNid = crypto.X509_get_signature_nid(x);
    const dig = Buffer.alloc(4);
    const pkey = Buffer.alloc(4);
    if (crypto.OBJ_find_sigid_algs(sigNid, dig, pkey) !== 1) throw fail(who, 'unknown certificate signature algorithm');
    let digNid = dig.readInt32LE(0);
    if (digNid === 0) throw fail(who, 'the certificate signature has no single hash (RFC 5929 leaves tls-server-end-point undefined)');
    if (digNid === NID_md5 || digNid === NID_sha1) digNid = 672; // NID_sha256
    const name = crypto.OBJ_nid2sn(digNid);
    if (!name) throw fail(who, 'unknown signature hash');
    const md = crypto.EVP_MD_fetch(0, name, null);
    if (!md) {
      drainErrors();
      throw fail(who, `hash ${name} is not available`);
    }
    try {
      const out = Buffer.alloc(64);
      const len = Buffer.alloc(4);
      if (crypto.X509_digest(x, md, out, len) !== 1) throw fail(who, 'cannot hash the certificate');
      return Buffer.from(out.subarray(0, len.readUInt32LE(0)));
    } finally {
      crypto.EVP_MD_free(md);
    }
  } finally {
    if (owned) {
      crypto.X509_free(x);
      freed('X509');
    }
  }
}

/**
 * The channel binding of `type` for the connection of `port`: `'tls-exporter'` (RFC 9266, 32 bytes),
 * `'tls-unique'` (RFC 5929, the first Finished message; refused on TLS 1.3) or
 * `'tls-server-end-point'` (the hash of the server certificate). Throws when the connection is closed.
 *
 * @example
 * ```ts
 * import { sslChannelBinding } from 'openssl-ports';
 * const cb = sslChannelBinding(input, 'tls-exporter'); // same bytes on both ends
 * ```
 */
export function sslChannelBinding(port: SslPort, type: ChannelBindingType): Buffer {
  const who = 'sslChannelBinding';
  const conn = connectionOf(who, port);
  if (type !== 'tls-exporter' && type !== 'tls-unique' && type !== 'tls-server-end-point') {
    throw new RangeError(`${who}: type must be 'tls-exporter', 'tls-unique' or 'tls-server-end-point', got ${JSON.stringify(type)}`);
  }
  const s = conn.sslPtr(who);
  if (!conn.isOpen) throw fail(who, 'the connection is not open');
  const { ssl } = native(who);
  clearErrors();
  if (type === 'tls-exporter') {
    const out = Buffer.alloc(32);
    if (ssl.SSL_export_keying_material(s, out, 32, EXPORTER_LABEL, EXPORTER_LABEL.length, null, 0, 0) !== 1) {
      drainErrors();
      throw fail(who, 'cannot export keying material');
    }
    return out;
  }
  if (type === 'tls-unique') {
    if (ssl.SSL_version(s) >= TLS1_3_VERSION) throw fail(who, "'tls-unique' is not defined for TLS 1.3 (RFC 9266); use 'tls-exporter'");
    const isClient = conn.mode === 'connect';
    const resumed = ssl.SSL_session_reused(s) === 1;
    // The first Finished of the handshake: the client's on a full handshake, the server's on a resumed one.
    const own = isClient !== resumed;
    const buf = Buffer.alloc(64);
    const n = own ? ssl.SSL_get_finished(s, buf, buf.length) : ssl.SSL_get_peer_finished(s, buf, buf.length);
    if (n <= 0) throw fail(who, 'no Finished message yet');
    return Buffer.from(buf.subarray(0, n));
  }
  return serverEndPoint(who, s, conn.mode === 'connect');
}

/**
 * The default channel binding for the connection's protocol (RFC 9266 §3): `['tls-exporter', …]` on
 * TLS 1.3, `['tls-unique', …]` before.
 *
 * @example
 * ```ts
 * import { sslDefaultChannelBinding } from 'openssl-ports';
 * const [type, value] = sslDefaultChannelBinding(input); // ['tls-exporter', <Buffer …>]
 * ```
 */
export function sslDefaultChannelBinding(port: SslPort): [ChannelBindingType, Buffer] {
  const who = 'sslDefaultChannelBinding';
  const conn = connectionOf(who, port);
  const s = conn.sslPtr(who);
  const type: ChannelBindingType = native(who).ssl.SSL_version(s) >= TLS1_3_VERSION ? 'tls-exporter' : 'tls-unique';
  return [type, asCaller(who, () => sslChannelBinding(port, type))];
}
