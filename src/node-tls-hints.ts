/**
 * What the node:tls option names people try mean here: the hint an unknown-option `TypeError` gives.
 *
 * @module
 */

const VERIFY = "verification is a context setting: use the 'secure' protocol (sslSecureClientContext()), or sslSetVerify(ctx, true) and sslSetVerifyHostname(ctx, true) on your own context";
const PROTOCOL = "the protocol range is the protocol argument ('tls12', 'tls13', 'auto', 'secure') or Gerbil's makeClientSslContext(minProtocolVersion)";
const IDENTITY = "a certificate and key belong to the context: sslMakeClientContext/sslMakeServerContext(protocol, { certificateChain, privateKey }) or sslLoadCertificateChain/sslLoadPrivateKey";

/** node:tls (and net) option names, with their equivalent in this library. */
export const NODE_TLS_EQUIVALENTS: Readonly<Record<string, string>> = {
  rejectUnauthorized: VERIFY,
  requestCert: 'a server asks for client certificates with sslSetVerify(ctx or listener, true) or sslTryVerify',
  ca: "trusted certificates are loaded into a context: sslLoadVerifySource(ctx, 'ca.pem') with sslSetVerify(ctx, true), or sslDefaultVerifySources([...]) for 'secure'",
  servername: "the name sent as SNI and verified is sslConnect's `host` option (or its hostname argument), portsToSslPorts' `hostname`, the upgrades' `host`",
  ALPNProtocols: 'use the `alpn` option (an array of Buffers) on a client, sslSetServerAlpn(ctx, protocols) on a server context',
  ALPNCallback: 'use sslSetServerAlpn(ctx, protocols) on a server context',
  cert: IDENTITY,
  key: IDENTITY,
  pfx: 'PKCS#12 is not supported: convert it to PEM (openssl pkcs12) and use certificateChain and privateKey',
  passphrase: 'encrypted private keys are not supported: decrypt the key first (openssl pkey)',
  minVersion: PROTOCOL,
  maxVersion: PROTOCOL,
  secureProtocol: PROTOCOL,
  checkServerIdentity: 'hostname verification is sslSetVerifyHostname(ctx, true) (checked inside the handshake); sslPeerCheckHostname(port, name) checks a name afterwards',
  secureContext: 'pass an SslContext as the protocol argument (sslConnect(host, port, ctx), sslListen(…, ctx)) or as `context` (portsToSslPorts, the upgrades)',
  ciphers: 'use sslSetCiphers(ctx, cipherSpec)',
  honorCipherOrder: 'the server context decides with sslSetCiphers(ctx, cipherSpec)',
  ecdhCurve: 'ephemeral (EC)DHE key exchange is on by default (sslServerContextEnableEcdhe is a no-op)',
  dhparam: 'ephemeral DHE is on by default with automatic groups (sslServerContextEnableDhe is a no-op)',
  session: 'a client context caches sessions and resumes them by itself; `reuseSession: false` asks for a full handshake',
  sessionIdContext: 'server contexts set their own session id context',
  SNICallback: 'use sslSetServerNameIdentificationCallback(ctx, callback) on the server context',
  enableTrace: 'not supported; use sslSetKeylogger(ctx, logger) with Wireshark, or openssl s_client -trace against the peer',
  port: 'the port is a positional argument: sslConnect(hostname, portNo, …), sslListen(portNo, …)',
  socket: 'use portsToSslPorts(socket, socket, options) or sslClientUpgrade(socket, options)',
  isServer: "portsToSslPorts takes `mode: 'accept'` (server) or `mode: 'connect'` (client)",
};
