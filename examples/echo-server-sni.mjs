// An echo server that picks its certificate by SNI (after the seed's example).
//   node examples/echo-server-sni.mjs [port]     (prints "listening on PORT")
import * as o from '../dist/index.js';

const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;
const ctxA = o.sslMakeServerContext('auto', { certificateChain: certs('server-rsa-chain.pem'), privateKey: ['pem', certs('server-rsa.key')] });
const ctxB = o.sslMakeServerContext('auto', { certificateChain: certs('sni-example-chain.pem'), privateKey: ['pem', certs('sni-example.key')] });
const pick = (hostname) => (hostname === 'example.test' || hostname.endsWith('.example.test') ? ctxB : null);
o.sslSetServerNameIdentificationCallback(ctxA, pick);
o.sslSetServerNameIdentificationCallback(ctxB, pick);
o.sslSealContext(ctxA);
o.sslSealContext(ctxB);

const listener = await o.sslListen(Number(process.argv[2] ?? 0), 5, true, '127.0.0.1', ctxA);
console.log(`listening on ${o.sslListenerPort(listener)}`);
for await (const [input, output] of listener) {
  input.pipe(output);
  input.on('error', () => output.destroy());
}
