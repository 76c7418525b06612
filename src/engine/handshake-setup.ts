/**
 * Setting up one SSL for its handshake (the client's server name, ALPN offer and session offer; the
 * hostname check of either side) and the verification policy OpenSSL applies inside it (verify mode,
 * and which failures stop the handshake). Cold path: runs once per connection, or per verify callback.
 *
 * @module
 */
import { isIP } from 'node:net';
import { SslError, x509VerifyCode } from '../errors.js';
import type { Native } from '../ffi/native.js';
import type { Ptr } from '../ffi/bindings.js';
import { stateOf, type SslContext } from '../context/context.js';
import { alpnWire } from '../context/alpn-wire.js';
import { SSL_ERROR_SSL, opensslError } from './ssl-errors.js';

const SSL_VERIFY_NONE = 0;
const SSL_VERIFY_PEER = 1;
const SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 2;
const SSL_VERIFY_POST_HANDSHAKE = 8;
const SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
const X509_V_ERR_HOSTNAME_MISMATCH = 62;
const X509_V_ERR_IP_ADDRESS_MISMATCH = 64;
const X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20;
const X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21;
const X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS = 0x4;

/** A fully qualified name's trailing dot dropped (`example.com.` is `example.com`; RFC 6066 for SNI). */
function absoluteToPlain(name: string): string {
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * node:tls's name for a verification failure at which this library stops the handshake. node:tls lets
 * verification run on and reports OpenSSL's last finding: for a lone leaf whose issuer is unknown that
 * is "unable to verify the first certificate" (OpenSSL's internal_verify), not the first finding.
 */
export function nodeVerifyCodeAt(n: Native, storeCtx: Ptr, err: number): string | null {
  if (err === X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY && n.crypto.X509_STORE_CTX_get_error_depth(storeCtx) === 0) {
    const chain = n.crypto.X509_STORE_CTX_get0_chain(storeCtx);
    if (chain && n.crypto.OPENSSL_sk_num(chain) === 1) return x509VerifyCode(X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
  }
  return x509VerifyCode(err);
}

/** What {@link setupClient} reads of the connection's options. */
export interface ClientSetup {
  who: string;
  context: SslContext;
  hostname: string | null;
  alpn?: readonly Uint8Array[];
  sessionKey?: string | null;
}

/** A client SSL: connect state, post-handshake auth, SNI, ALPN, and a copy of the cached session when `offerSession`. */
export function setupClient(n: Native, s: Ptr, o: ClientSetup, offerSession: boolean): void {
  const { ssl } = n;
  ssl.SSL_set_connect_state(s);
  ssl.SSL_set_post_handshake_auth(s, 1);
  // RFC 6066: the name is sent without a trailing dot. (Entry points refuse names with NUL characters.)
  const sni = o.hostname ? absoluteToPlain(o.hostname) : null;
  if (sni && !isIP(sni)) {
    if (sni.includes('\0') || ssl.SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, Buffer.from(`${sni}\0`)) !== 1) {
      throw opensslError(o.who, `invalid server name ${JSON.stringify(o.hostname)}`, SSL_ERROR_SSL);
    }
  }
  if (o.alpn && o.alpn.length > 0) {
    const wire = alpnWire(o.who, o.alpn);
    if (ssl.SSL_set_alpn_protos(s, wire, wire.length) !== 0) throw opensslError(o.who, 'cannot set ALPN protocols', SSL_ERROR_SSL);
  }
  if (offerSession && o.sessionKey) {
    const session = stateOf(o.context).sessions.get(o.sessionKey);
    // Offer a copy, so that closing this connection without close_notify cannot spoil the cached one.
    const copy = session ? ssl.SSL_SESSION_dup(session) : 0;
    if (copy) {
      ssl.SSL_set_session(s, copy);
      ssl.SSL_SESSION_free(copy); // the SSL holds its own reference
    }
  }
}

/** The peer's certificate must match `hostname` (either side; `failedWord` names the failing handshake). */
export function setupHostnameCheck(n: Native, s: Ptr, who: string, failedWord: string, hostname: string | null): void {
  const { ssl } = n;
  const name = hostname === null ? null : absoluteToPlain(hostname);
  if (!name) throw new SslError(`${who}: ${failedWord} (hostname not provided for verification)`, { code: 'ERR_SSL_NO_HOSTNAME' });
  if (name.includes('\0')) throw new RangeError(`${who}: hostname must not contain a NUL character`);
  const param = ssl.SSL_get0_param(s);
  const ok = isIP(name)
    ? n.crypto.X509_VERIFY_PARAM_set1_ip_asc(param, name)
    : (n.crypto.X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS),
      n.crypto.X509_VERIFY_PARAM_set1_host(param, name, Buffer.byteLength(name)));
  if (ok !== 1) throw opensslError(who, `invalid hostname ${JSON.stringify(name)}`, SSL_ERROR_SSL);
}

/** OpenSSL's verify mode for a policy (`postHandshake` adds the TLS 1.3 PHA flag). */
export function verifyModeFor(mode: 'connect' | 'accept', verify: 'off' | 'try' | 'require', checkHostname: boolean, postHandshake: boolean): number {
  let flags = SSL_VERIFY_NONE;
  if (mode === 'connect') {
    if (verify !== 'off' || checkHostname) flags = SSL_VERIFY_PEER;
  } else if (verify === 'require' || checkHostname) {
    // A hostname check needs the client's certificate: without one the connection is refused (000 §5).
    flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  } else if (verify === 'try') flags = SSL_VERIFY_PEER;
  if (postHandshake && flags !== SSL_VERIFY_NONE) flags |= SSL_VERIFY_POST_HANDSHAKE;
  return flags;
}

/** Whether a failed verification step `err` lets the handshake go on under the policy. */
export function verifyGoesOn(err: number, checkHostname: boolean, verify: 'off' | 'try' | 'require'): boolean {
  return err === X509_V_ERR_HOSTNAME_MISMATCH || err === X509_V_ERR_IP_ADDRESS_MISMATCH ? !checkHostname : verify !== 'require';
}
