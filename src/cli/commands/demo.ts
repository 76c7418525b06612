/**
 * `openssl-ports demo`: a local TLS server and a verifying client on the bundled test certificates,
 * a few messages each way, and a handshake report for both ends, twice (the second connection resumes).
 *
 * @module
 */
import * as o from '../../index.js';
import { handshakeReport } from '../report.js';
import { bundledCert } from '../paths.js';

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
    certificateChain: bundledCert('server-rsa-chain.pem'),
    privateKey: ['pem', bundledCert('server-rsa.key')],
  });
  o.sslSetServerAlpn(serverCtx, [Buffer.from('demo/1'), Buffer.from('http/1.1')]);
  const listener = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx);
  const [, port] = o.sslAddresses(listener, true);
  const info = o.opensslInfo();
  console.log(`openssl-ports demo — ${info?.version} (${info?.source === 'node' ? "Node's embedded OpenSSL" : 'system OpenSSL'})`);
  console.log(`server listening on 127.0.0.1:${port} with certs/server-rsa-chain.pem (issued by the bundled test CA)`);
  console.log('client verifies the server against certs/root-ca.pem, hostname "localhost", ALPN demo/1\n');

  const clientCtx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(clientCtx, bundledCert('root-ca.pem'));
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
    console.log(`\n--- connection ${round}${round === 2 ? ' (same client context: the session is resumed)' : ''} ---`);
    for (const line of [...handshakeReport('client', cin), ...handshakeReport('server', sout)]) console.log(line);
    console.log('');
    for (const p of [cin, cout, sin, sout]) p.destroy();
  }
  await o.sslClose(listener);
  return 0;
}
