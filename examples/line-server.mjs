// A line server written the way the README recommends for servers: handshakes run concurrently (a
// slow or silent client stalls nobody), failed handshakes are reported through 'tlsClientError',
// each connection is handled on its own while the loop goes back to accepting, errors are handled
// on both ports, and ending the output sends close_notify (shutdownOnClose).
// Each line a client sends comes back upper-cased; the client's end of input ends the answer.
//   node examples/line-server.mjs [PORT]     (PORT 0 or none: any free port; prints "listening on PORT")
//   openssl s_client -connect 127.0.0.1:PORT -CAfile certs/root-ca.pem -verify_hostname localhost
import { createInterface } from 'node:readline';
import * as o from '../dist/index.js';

const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;
const ctx = o.sslMakeServerContext('auto', { certificateChain: certs('server-rsa-chain.pem'), privateKey: ['pem', certs('server-rsa.key')] });
o.sslSealContext(ctx);

const listener = await o.sslListen(Number(process.argv[2] ?? process.env.PORT ?? 0), 511, true, '127.0.0.1', ctx, {
  handshakeTimeout: 10_000, // a client that has not finished its handshake by then is cut off
  shutdownOnClose: true, // output.end() sends close_notify; a client's close_notify is answered
});
listener.on('tlsClientError', (err, { remoteAddress, remotePort }) => console.error(`handshake failed from ${remoteAddress}:${remotePort}: ${err.message}`));
console.log(`listening on ${o.sslListenerPort(listener)}`);

/** One connection: answers each line, ends when the client ends its side. */
async function serve(input, output) {
  input.on('error', (e) => console.error(`read: ${e.message}`));
  output.on('error', (e) => console.error(`write: ${e.message}`)); // e.g. EPIPE: the client is gone
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!output.write(`${line.toUpperCase()}\n`)) await new Promise((r) => output.once('drain', r));
  }
  output.end(); // close_notify; with both ports done the connection and its socket are released
}

for await (const [input, output] of listener) {
  void serve(input, output).catch((e) => {
    console.error(`connection: ${e.message}`);
    input.destroy();
    output.destroy();
  });
}
