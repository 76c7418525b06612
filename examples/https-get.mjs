// An HTTPS GET with sslConnect and ALPN.
//   node examples/https-get.mjs https://example.com/ [--ca FILE]
import * as o from '../dist/index.js';

const url = new URL(process.argv[2] ?? 'https://example.com/');
const caIndex = process.argv.indexOf('--ca');
const ctx = o.sslMakeClientContext('auto');
if (caIndex > 0) o.sslLoadVerifySource(ctx, process.argv[caIndex + 1]);
else o.sslLoadDefaultVerifySources(ctx);
o.sslSetVerify(ctx, true);
o.sslSetVerifyHostname(ctx, true);

const [input, output] = await o.sslConnect(url.hostname, Number(url.port || 443), ctx, { alpn: [Buffer.from('http/1.1')] });
console.error(`ALPN: ${o.sslGetAlpnSelected(input)?.toString() ?? '(none)'}, ${o.sslProtocolVersion(input)}`);
output.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
let response = '';
for await (const chunk of input) response += chunk;
console.log(response.split('\r\n')[0]);
output.destroy();
