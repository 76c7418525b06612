// Mutual TLS: the server requires a client certificate issued by the test CA.
//   node examples/mutual-tls.mjs
import * as o from '../dist/index.js';

const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;
const serverCtx = o.sslMakeServerContext('auto', { certificateChain: certs('server-rsa-chain.pem'), privateKey: ['pem', certs('server-rsa.key')] });
o.sslLoadVerifySource(serverCtx, certs('root-ca.pem'));
o.sslLoadSuggestedCertificateAuthorities(serverCtx, certs('root-ca.pem'));
o.sslSetVerify(serverCtx, true);
const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);

const clientCtx = o.sslMakeClientContext('auto', { privateKey: ['pem', certs('client.key')], certificateChain: certs('client-chain.pem') });
o.sslLoadVerifySource(clientCtx, certs('root-ca.pem'));
o.sslSetVerify(clientCtx, true);
o.sslSetVerifyHostname(clientCtx, true);

const accepted = o.sslAccept(listener);
const [cin, cout] = await o.sslConnect('localhost', o.sslListenerPort(listener), clientCtx);
const [sin, sout] = await accepted;
console.log(`server sees client: ${o.sslPeerSubjectName(sin)} (verified: ${o.sslPeerVerified(sin)})`);
console.log(`client sees server: ${o.sslPeerSubjectName(cin)} (verified: ${o.sslPeerVerified(cin)})`);
for (const p of [cin, cout, sin, sout]) p.destroy();
await o.sslClose(listener);
