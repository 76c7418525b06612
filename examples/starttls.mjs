// STARTTLS, SMTP style: a plaintext greeting and EHLO, "STARTTLS", then TLS on the same socket.
//   node examples/starttls.mjs                          a server and a client in this process
//   node examples/starttls.mjs server [PORT]            the server (prints "listening on PORT")
//   node examples/starttls.mjs client HOST:PORT [CA]    the client, trusting CA (default certs/root-ca.pem)
// The server also answers `openssl s_client -starttls smtp -connect 127.0.0.1:PORT -CAfile certs/root-ca.pem`.
import { createServer, connect } from 'node:net';
import * as o from '../dist/index.js';

const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;

/** Reads one line (CRLF or LF) and puts back whatever arrived after it, which may be TLS. */
function readLine(socket) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\n');
      if (i < 0) return;
      done();
      socket.pause();
      if (i + 1 < buf.length) socket.unshift(buf.subarray(i + 1));
      resolve(buf.subarray(0, i).toString().replace(/\r+$/, ''));
    };
    const onEnd = () => (done(), reject(new Error('connection closed')));
    const done = () => (socket.off('data', onData), socket.off('end', onEnd), socket.off('error', onEnd));
    socket.on('data', onData).on('end', onEnd).on('error', onEnd);
    socket.resume();
  });
}

/** A tiny SMTP-like server: EHLO advertises STARTTLS; after the upgrade it echoes commands. */
async function server(port) {
  const ctx = o.makeServerSslContext(certs('server-rsa-chain.pem'), certs('server-rsa.key'));
  const srv = createServer(async (socket) => {
    socket.on('error', () => {});
    try {
      socket.write('220 localhost ESMTP openssl-ports example\r\n');
      for (;;) {
        const line = await readLine(socket);
        if (/^EHLO /i.test(line)) socket.write('250-localhost\r\n250 STARTTLS\r\n');
        else if (/^STARTTLS$/i.test(line)) break;
        else socket.write('530 Must issue a STARTTLS command first\r\n');
      }
      socket.write('220 Ready to start TLS\r\n');
      const [input, output] = await o.sslServerUpgrade(socket, ctx);
      let pending = '';
      input.on('data', (d) => {
        pending += d;
        for (let i; (i = pending.indexOf('\n')) >= 0; pending = pending.slice(i + 1)) {
          const command = pending.slice(0, i).replace(/\r+$/, '');
          if (/^QUIT$/i.test(command)) {
            output.end('221 Bye\r\n');
            input.destroy();
            return;
          }
          output.write(`250 you said: ${command}\r\n`);
        }
      });
      input.on('end', () => output.end());
      input.on('error', () => output.destroy());
    } catch (e) {
      console.error(`server: ${e.message}`);
      socket.destroy();
    }
  });
  await new Promise((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return srv;
}

/** The client: EHLO, STARTTLS, a verified TLS handshake, then commands inside TLS. */
async function client(host, port, ca) {
  const socket = connect(port, host);
  console.log(`S: ${await readLine(socket)}`);
  socket.write('EHLO client.example\r\n');
  let line;
  do console.log(`S: ${(line = await readLine(socket))}`);
  while (line.startsWith('250-'));
  socket.write('STARTTLS\r\n');
  console.log(`S: ${await readLine(socket)}`);
  const context = o.makeClientSslContext(); // verifies the chain and the name; add our test CA:
  o.sslLoadVerifySource(context, ca);
  const [input, output] = await o.sslClientUpgrade(socket, { context, host: 'localhost' });
  console.log(`TLS: ${o.sslProtocolVersion(input)}, server verified: ${o.sslPeerVerified(input)}`);
  output.write('EHLO secure\r\nQUIT\r\n');
  for await (const reply of input) process.stdout.write(`S: ${reply.toString().replace(/\r\n(?=.)/g, '\nS: ').replace(/\r\n$/, '\n')}`);
  output.destroy();
}

const [mode, arg, ca = certs('root-ca.pem')] = process.argv.slice(2);
if (mode === 'server') {
  const srv = await server(Number(arg ?? process.env.PORT ?? 0));
  console.log(`listening on ${srv.address().port}`);
} else if (mode === 'client') {
  const m = /^(.*):(\d+)$/.exec(arg ?? '');
  if (!m) throw new Error('usage: node examples/starttls.mjs client HOST:PORT [CA]');
  await client(m[1], Number(m[2]), ca);
} else {
  const srv = await server(0);
  await client('127.0.0.1', srv.address().port, ca);
  srv.close();
}
