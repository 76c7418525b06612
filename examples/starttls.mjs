// STARTTLS, SMTP style: a plaintext greeting and command, then TLS on the same socket.
//   node examples/starttls.mjs      (runs a server and a client in one process)
import { createServer, connect } from 'node:net';
import * as o from '../dist/index.js';

const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;

/** Reads one CRLF-terminated line and leaves whatever follows it in the socket. */
function readLine(socket) {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n');
      if (i < 0) return;
      socket.off('data', onData);
      socket.pause();
      if (i + 2 < buf.length) socket.unshift(buf.subarray(i + 2));
      resolve(buf.subarray(0, i).toString());
    };
    socket.on('data', onData);
    socket.resume();
  });
}

const serverCtx = o.makeServerSslContext(certs('server-rsa-chain.pem'), certs('server-rsa.key'));
const server = createServer(async (socket) => {
  socket.write('220 example ESMTP\r\n');
  if ((await readLine(socket)) !== 'STARTTLS') return socket.end('500 say STARTTLS\r\n');
  socket.write('220 go ahead\r\n');
  const [input, output] = await o.sslServerUpgrade(socket, serverCtx);
  input.on('data', (d) => output.write(`250 you said: ${d}`));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));

const clientCtx = o.makeClientSslContext();
o.sslLoadVerifySource(clientCtx, certs('root-ca.pem'));
const socket = connect(server.address().port, '127.0.0.1');
console.log(`S: ${await readLine(socket)}`);
socket.write('STARTTLS\r\n');
console.log(`S: ${await readLine(socket)}`);
const [input, output] = await o.sslClientUpgrade(socket, { context: clientCtx, host: 'localhost' });
console.log(`TLS: ${o.sslProtocolVersion(input)}, server verified: ${o.sslPeerVerified(input)}`);
output.write('EHLO secure\r\n');
const reply = await new Promise((r) => input.once('data', r));
console.log(`S: ${reply.toString().trim()}`);
input.destroy();
output.destroy();
server.close();
