// An HTTPS GET with sslConnect and ALPN, verified against the default trust store.
//   node examples/https-get.mjs https://example.com/
//   SSL_CERT_FILE=certs/root-ca.pem node examples/https-get.mjs https://localhost:8443/   (another trust store)
// Prints the negotiated protocol and ALPN on stderr and the response's status line on stdout.
import * as o from '../dist/index.js';

const url = new URL(process.argv[2] ?? process.env.URL ?? 'https://example.com/');
// 'secure': the certificate chain and the hostname are verified, weak ciphers are off.
const [input, output] = await o.sslConnect(url.hostname, Number(url.port || 443), 'secure', {
  alpn: [Buffer.from('http/1.1')],
});
console.error(`${o.sslProtocolVersion(input)}, ALPN ${o.sslGetAlpnSelected(input)?.toString() ?? '(none)'}, verified ${o.sslPeerVerified(input)}`);
output.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
let response = '';
for await (const chunk of input) response += chunk.toString('latin1');
console.log(response.split('\r\n')[0]);
output.destroy();
