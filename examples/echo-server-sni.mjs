// An echo server that picks its certificate by SNI: names under example.test get the
// sni-example certificate, everything else the localhost one.
//   node examples/echo-server-sni.mjs [PORT]     (PORT 0 or none: any free port; prints "listening on PORT")
//   openssl s_client -connect 127.0.0.1:PORT -servername www.example.test -CAfile certs/root-ca.pem
import * as o from '../dist/index.js';

const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;
const ctxA = o.sslMakeServerContext('auto', { certificateChain: certs('server-rsa-chain.pem'), privateKey: ['pem', certs('server-rsa.key')] });
const ctxB = o.sslMakeServerContext('auto', { certificateChain: certs('sni-example-chain.pem'), privateKey: ['pem', certs('sni-example.key')] });
// The callback gets the name the client sent; it returns the context to switch to, or null to keep this one.
const pick = (hostname) => (hostname === 'example.test' || hostname.endsWith('.example.test') ? ctxB : null);
o.sslSetServerNameIdentificationCallback(ctxA, pick);
o.sslSetServerNameIdentificationCallback(ctxB, pick);
o.sslSealContext(ctxA);
o.sslSealContext(ctxB);

const listener = await o.sslListen(Number(process.argv[2] ?? process.env.PORT ?? 0), 5, true, '127.0.0.1', ctxA);
console.log(`listening on ${o.sslListenerPort(listener)}`);
for await (const [input, output] of listener) {
  input.pipe(output); // echo; the client's EOF ends our output, and both closed closes the connection
  input.on('error', () => output.destroy());
  output.on('error', () => input.destroy());
}
