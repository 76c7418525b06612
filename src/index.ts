/// <reference types="node" preserve="true" />
/**
 * openssl-ports: TLS connections as Node streams on the system OpenSSL, with the API of the `openssl`
 * library of Racket, Chicken Scheme and Gerbil Scheme.
 *
 * @module
 */
export { sslAvailable, sslLoadFailReason, sslObjectCounts, opensslInfo, type OpensslInfo } from './availability.js';
export type { ObjectKind } from './ffi/objects.js';
export { SslError, isSslError, type SslErrorStatus, type SslErrorOptions } from './errors.js';
export {
  supportedClientProtocols,
  supportedServerProtocols,
  sslMaxClientProtocol,
  sslMaxServerProtocol,
  type SslProtocol,
} from './context/protocols.js';
export {
  SslContext,
  sslMakeClientContext,
  sslMakeServerContext,
  isSslClientContext,
  isSslServerContext,
  sslSealContext,
  type ContextOptions,
  type PrivateKeySource,
} from './context/context.js';
export {
  sslLoadVerifySource,
  sslLoadDefaultVerifySources,
  sslSetCiphers,
  type LoadVerifySourceOptions,
} from './context/credentials.js';
export {
  sslLoadCertificateChain,
  sslLoadPrivateKey,
  sslLoadVerifyRootCertificates,
  sslLoadSuggestedCertificateAuthorities,
} from './api/credentials.js';
export { sslDefaultVerifySources, type VerifySource } from './context/verify-sources.js';
export type { CertificateSource, CertificateData } from './context/certificate-data.js';
export { sslSecureClientContext } from './context/secure.js';
export { sslConnect, type SslConnectOptions, type SslPorts } from './entry/client.js';
export {
  sslListen,
  sslAccept,
  sslClose,
  isSslListener,
  sslListenerPort,
  sslListenerFileno,
  sslListenerAcceptReady,
  SslListener,
  type SslAcceptOptions,
  type SslListenOptions,
  type SslClientErrorInfo,
  DEFAULT_MAX_HANDSHAKES,
} from './entry/server.js';
export { portsToSslPorts, type PortsToSslPortsOptions } from './entry/wrapper.js';
export { isSslPort, SslInputPort, SslOutputPort, type SslPort } from './ports/ports.js';
export { sslSetVerify, sslTryVerify } from './api/verify.js';
export { sslSetVerifyHostname } from './context/verify.js';
export * from './context/features.js';
export {
  sslPeerVerified,
  sslPeerSubjectName,
  sslPeerIssuerName,
  sslPeerCertificateHostnames,
  sslPeerCheckHostname,
  sslPeerCertificate,
} from './peer/certificate.js';
export * from './peer/session.js';
export { sslAddresses } from './api/addresses.js';
export * from './peer/channel-binding.js';
export {
  sslClientUpgrade,
  sslServerUpgrade,
  type SslClientUpgradeOptions,
  type SslServerUpgradeOptions,
} from './entry/upgrade.js';
export * from './gerbil.js';
export { sslPortsToWebStreams, type SslWebStreams } from './ports/web-streams.js';
export { SslSocket, sslPortsToSocket, type SslSocketOptions } from './socket/ssl-socket.js';
export { sslSocketConnect, sslCreateConnection, type SslSocketConnectOptions } from './socket/connect.js';
export { type SslTlsOptions } from './socket/tls-options.js';
export { SslAgent, type SslAgentOptions } from './socket/agent.js';
export { sslUndiciConnect, type SslUndiciConnectOptions, type SslUndiciConnectParams } from './socket/undici.js';
export { sslServe, type SslServeServers, type SslServing } from './socket/serve.js';
