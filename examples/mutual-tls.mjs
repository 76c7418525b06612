// Mutual TLS: the server requires a client certificate issued by the test CA, and the client
// verifies the server.
//   node examples/mutual-tls.mjs                     a server and a client in this process
//   node examples/mutual-tls.mjs server [PORT]       the server (prints "listening on PORT")
//   node examples/mutual-tls.mjs client HOST:PORT    the client, presenting certs/client-chain.pem
import * as o from '../dist/index.js';

const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;

async function server(port) {
  const ctx = o.sslMakeServerContext('auto', { certificateChain: certs('server-rsa-chain.pem'), privateKey: ['pem', certs('server-rsa.key')] });
  o.sslLoadVerifySource(ctx, certs('root-ca.pem')); // whom we trust to issue client certificates
  o.sslLoadSuggestedCertificateAuthorities(ctx, certs('root-ca.pem')); // whom we tell the client we trust
  o.sslSetVerify(ctx, true); // no verified client certificate, no connection
  return o.sslListen(port, 5, true, '127.0.0.1', ctx);
}

async function serve(listener) {
  try {
    const [input, output] = await o.sslAccept(listener);
    const subject = o.sslPeerSubjectName(input);
    console.log(`server sees client: ${subject} (verified: ${o.sslPeerVerified(input)})`);
    output.end(`hello, ${/CN=([^/]+)/.exec(subject)?.[1]}\n`);
    input.destroy(); // both ports closed: the connection closes once the greeting is sent
  } catch (e) {
    console.log(`server refused a client: ${e.message}`);
  }
}

async function client(host, port) {
  const ctx = o.sslMakeClientContext('auto', { certificateChain: certs('client-chain.pem'), privateKey: ['pem', certs('client.key')] });
  o.sslLoadVerifySource(ctx, certs('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  const [input, output] = await o.sslConnect(host, port, ctx, { host: 'localhost' });
  console.log(`client sees server: ${o.sslPeerSubjectName(input)} (verified: ${o.sslPeerVerified(input)})`);
  output.end(); // we send nothing
  let greeting = '';
  for await (const chunk of input) greeting += chunk;
  console.log(`client received: ${greeting.trim()}`);
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'server') {
  const listener = await server(Number(arg ?? process.env.PORT ?? 0));
  console.log(`listening on ${o.sslListenerPort(listener)}`);
  for (;;) await serve(listener);
} else if (mode === 'client') {
  const m = /^(.*):(\d+)$/.exec(arg ?? '');
  if (!m) throw new Error('usage: node examples/mutual-tls.mjs client HOST:PORT');
  await client(m[1], Number(m[2]));
} else {
  const listener = await server(0);
  await Promise.all([serve(listener), client('127.0.0.1', o.sslListenerPort(listener))]);
  await o.sslClose(listener);
}
