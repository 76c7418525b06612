/**
 * `openssl-ports demo`: a local TLS server and a verifying client on the bundled test certificates,
 * with a handshake report for both ends.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import * as o from '../index.js';

const certs = (name: string): string => fileURLToPath(new URL(`../../certs/${name}`, import.meta.url));
const hex = (b: Buffer | null): string => (b ? b.toString('hex') : '(none)');

function report(side: string, port: o.SslPort): string[] {
  const version = o.sslProtocolVersion(port);
  const lines = [
    `${side}:`,
    `  protocol            ${version}`,
    `  cipher              ${o.sslCipherName(port)}`,
    `  ALPN                ${o.sslGetAlpnSelected(port)?.toString() ?? '(none)'}`,
    `  peer verified       ${o.sslPeerVerified(port)}`,
    `  peer subject        ${o.sslPeerSubjectName(port)?.toString() ?? '(no certificate)'}`,
    `  peer issuer         ${o.sslPeerIssuerName(port)?.toString() ?? '(no certificate)'}`,
    `  peer hostnames      ${o.sslPeerCertificateHostnames(port).join(', ') || '(none)'}`,
    `  session reused      ${o.sslSessionReused(port)}`,
    `  tls-exporter        ${hex(o.sslChannelBinding(port, 'tls-exporter'))}`,
    `  tls-server-end-point ${hex(o.sslChannelBinding(port, 'tls-server-end-point'))}`,
  ];
  if (version !== 'tls13') lines.push(`  tls-unique          ${hex(o.sslChannelBinding(port, 'tls-unique'))}`);
  return lines;
}

async function readSome(input: o.SslInputPort): Promise<string> {
  const chunk: Buffer = await new Promise((resolve, reject) => {
    input.once('data', resolve);
    input.once('error', reject);
  });
  input.pause();
  return chunk.toString();
}

/** Runs the demo; resolves with the exit code. */
export async function demo(): Promise<number> {
  const serverCtx = o.sslMakeServerContext('auto', {
    certificateChain: certs('server-rsa-chain.pem'),
    privateKey: ['pem', certs('server-rsa.key')],
  });
  o.sslSetServerAlpn(serverCtx, [Buffer.from('demo/1'), Buffer.from('http/1.1')]);
  const listener = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx);
  const [, port] = o.sslAddresses(listener, true);
  console.log(`server listening on 127.0.0.1:${port} (certs/server-rsa-chain.pem, issued by the test CA)`);

  const clientCtx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(clientCtx, certs('root-ca.pem'));
  o.sslSetVerify(clientCtx, true);
  o.sslSetVerifyHostname(clientCtx, true);

  for (const round of [1, 2]) {
    const accepted = o.sslAccept(listener);
    const [cin, cout] = await o.sslConnect('localhost', port, clientCtx, { alpn: [Buffer.from('demo/1')] });
    const [sin, sout] = await accepted;
    cout.write(`hello from the client (connection ${round})`);
    console.log(`server received: ${await readSome(sin)}`);
    sout.write(`hello from the server (connection ${round})`);
    console.log(`client received: ${await readSome(cin)}`);
    console.log(`\n--- connection ${round} ---`);
    for (const line of [...report('client', cin), ...report('server', sout)]) console.log(line);
    for (const p of [cin, cout, sin, sout]) p.destroy();
  }
  await o.sslClose(listener);
  return 0;
}
