// A TypeDoc plugin: groups the API reference by what users look for (clients, servers, contexts,
// verification, …) instead of by kind (functions, interfaces, …). It adds `@group` tags from the
// table below to exports that have none of their own, before TypeDoc's own GroupPlugin reads them
// (RESOLVE_END at priority 0 runs before GroupPlugin's -100). A `@group` written in a TSDoc comment
// wins over the table, so new code can say its group where it is declared; an export in several
// groups (e.g. a Chicken name that is also a server procedure) is listed in each.
import { Converter, Comment, CommentTag } from 'typedoc';

/** Group → export names (`module:name` for a name outside the main module). */
export const GROUPS = {
  Clients: ['sslConnect', 'SslConnectOptions', 'SslPorts', 'sslSecureClientContext'],
  Servers: [
    'sslListen', 'sslAccept', 'sslClose', 'isSslListener', 'SslListener', 'SslAcceptOptions', 'sslListenerPort',
    'sslListenerAcceptReady', 'sslSetServerAlpn', 'sslSetServerNameIdentificationCallback', 'sslServerContextEnableDhe',
    'sslServerContextEnableEcdh', 'sslServerContextEnableEcdhe', 'sslDh4096ParamBytes',
  ],
  Contexts: [
    'SslContext', 'ContextOptions', 'sslMakeClientContext', 'sslMakeServerContext', 'isSslClientContext', 'isSslServerContext',
    'sslSealContext', 'sslSecureClientContext', 'sslSetCiphers', 'sslLoadCertificateChain', 'sslLoadPrivateKey', 'PrivateKeySource',
    'CertificateSource', 'CertificateData', 'SslProtocol', 'supportedClientProtocols', 'supportedServerProtocols',
    'sslMaxClientProtocol', 'sslMaxServerProtocol', 'sslSetKeylogger',
  ],
  Verification: [
    'sslSetVerify', 'sslTryVerify', 'sslSetVerifyHostname', 'sslLoadVerifySource', 'LoadVerifySourceOptions',
    'sslLoadDefaultVerifySources', 'sslDefaultVerifySources', 'VerifySource', 'sslLoadSuggestedCertificateAuthorities',
    'sslLoadVerifyRootCertificates', 'CertificateData', 'sslPeerVerified', 'sslPeerCheckHostname',
  ],
  'Peer and connection': [
    'sslPeerVerified', 'sslPeerSubjectName', 'sslPeerIssuerName', 'sslPeerCertificateHostnames', 'sslPeerCheckHostname',
    'sslPeerCertificate', 'sslGetAlpnSelected', 'sslProtocolVersion', 'sslCipherName', 'sslSessionReused', 'sslChannelBinding',
    'sslDefaultChannelBinding', 'ChannelBindingType', 'sslAbandonPort', 'isSslPort', 'SslInputPort', 'SslOutputPort', 'SslPort',
    'sslAddresses', 'sslPortFileno',
  ],
  'STARTTLS and wrapping': [
    'portsToSslPorts', 'PortsToSslPortsOptions', 'sslClientUpgrade', 'sslServerUpgrade', 'SslClientUpgradeOptions', 'SslServerUpgradeOptions',
  ],
  Integrations: [
    'sslPortsToWebStreams', 'SslWebStreams', 'SslSocket', 'sslPortsToSocket', 'SslSocketOptions', 'sslSocketConnect', 'sslCreateConnection',
    'SslSocketConnectOptions', 'SslTlsOptions', 'SslAgent', 'SslAgentOptions', 'sslUndiciConnect', 'SslUndiciConnectOptions',
    'SslUndiciConnectParams', 'sslServe', 'SslServeServers', 'SslServing',
  ],
  Errors: ['SslError', 'SslErrorOptions', 'SslErrorStatus', 'isSslError'],
  Hashing: [
    'sha1:sha1', 'sha1:sha1Bytes', 'sha1:bytesToHexString', 'sha1:hexStringToBytes', 'sha1:HashInput', 'md5:md5', 'md5:md5Bytes', 'md5:HashInput',
  ],
  'OpenSSL handles': [
    'sslAvailable', 'sslLoadFailReason', 'opensslInfo', 'OpensslInfo', 'sslObjectCounts', 'ObjectKind',
    'libcrypto:libcrypto', 'libcrypto:libcryptoLoadFailReason', 'libcrypto:opensslLibVersions', 'libcrypto:KoffiLibrary',
    'libssl:libssl', 'libssl:libsslLoadFailReason', 'libssl:KoffiLibrary', 'legacy:legacyLoaded',
  ],
  'Chicken, Gerbil and Racket 5.0 names': [
    'defaultClientSslContext', 'insecureClientSslContext', 'makeClientSslContext', 'makeServerSslContext', 'MinProtocolVersion',
    'sslClientUpgrade', 'sslServerUpgrade', 'sslPeerCertificate', 'isSslError', 'sslListenerPort', 'sslListenerFileno',
    'sslListenerAcceptReady', 'sslLoadVerifyRootCertificates', 'sslAddresses', 'sslPortFileno', 'SslErrorStatus', 'SslProtocol',
  ],
};

const byName = new Map();
for (const [group, names] of Object.entries(GROUPS)) {
  for (const n of names) {
    const key = n.includes(':') ? n : `index:${n}`;
    if (!byName.has(key)) byName.set(key, []);
    if (!byName.get(key).includes(group)) byName.get(key).push(group);
  }
}

const hasGroup = (c) => Boolean(c?.blockTags.some((t) => t.tag === '@group'));

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      for (const mod of context.project.children ?? []) {
        for (const r of mod.children ?? []) {
          const groups = byName.get(`${mod.name}:${r.name}`);
          const sigs = r.signatures ?? [];
          if (!groups || hasGroup(r.comment) || sigs.some((s) => hasGroup(s.comment))) continue;
          const target = r.comment ?? sigs[0]?.comment ?? (r.comment = new Comment());
          for (const g of groups) target.blockTags.push(new CommentTag('@group', [{ kind: 'text', text: g }]));
        }
      }
    },
    0,
  );
}
