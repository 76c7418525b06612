/**
 * `openssl-ports demo`: a local TLS server and a verifying client on the bundled test certificates,
 * a few messages each way, and a handshake report for both ends, twice (the second connection uses
 * the same client context, so its session is resumed). Needs no network beyond loopback.
 *
 * @module
 */
import * as o from '../../index.js';
import { handshakeReport } from '../report.js';
import { bundledCert } from '../paths.js';

/** Reads the next chunk the peer sent. */
async function readSome(input: o.SslInputPort): Promise<string> {
  const chunk: Buffer = await new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      input.off('error', onError);
      input.pause();
      resolve(d);
    };
    const onError = (e: Error): void => {
      input.off('data', onData);
      reject(e);
    };
    input.once('data', onData);
    input.once('error', onError);
  });
  return chunk.toString();
}

/** Runs the demo; resolves with the exit code. */
export async function demo(): Promise<number> {
  // The server: the test server certificate (with its intermediate), ALPN, and an optional client
  // certificate (sslTryVerify: asked for and verified, but a client without one is still accepted).
  const serverCtx = o.sslMakeServerContext('auto', {
    certificateChain: bundledCert('server-rsa-chain.pem'),
    privateKey: ['pem', bundledCert('server-rsa.key')],
  });
  o.sslSetServerAlpn(serverCtx, [Buffer.from('demo/1'), Buffer.from('http/1.1')]);
  o.sslLoadVerifySource(serverCtx, bundledCert('root-ca.pem'));
  o.sslLoadSuggestedCertificateAuthorities(serverCtx, bundledCert('root-ca.pem'));
  o.sslTryVerify(serverCtx, true);
  const listener = await o.sslListen(0, 5, true, '127.0.0.1', serverCtx);
  try {
    const [, port] = o.sslAddresses(listener, true);

    // The client: verifies the chain against the test root CA and the name "localhost", and presents
    // the test client certificate.
    const clientCtx = o.sslMakeClientContext('auto', {
      certificateChain: bundledCert('client-chain.pem'),
      privateKey: ['pem', bundledCert('client.key')],
    });
    o.sslLoadVerifySource(clientCtx, bundledCert('root-ca.pem'));
    o.sslSetVerify(clientCtx, true);
    o.sslSetVerifyHostname(clientCtx, true);

    const info = o.opensslInfo();
    const source = info?.source === 'node' ? "Node's embedded OpenSSL" : 'the system OpenSSL';
    console.log(`openssl-ports demo on ${info?.version ?? 'OpenSSL'} (${source})`);
    console.log(`server: 127.0.0.1:${port}, certs/server-rsa-chain.pem, ALPN demo/1 http/1.1, client certificate optional`);
    console.log('client: trusts certs/root-ca.pem, checks the name "localhost", offers ALPN demo/1, presents certs/client-chain.pem');

    for (const round of [1, 2]) {
      const accepted = o.sslAccept(listener);
      const [cin, cout] = await o.sslConnect('localhost', port, clientCtx, { alpn: [Buffer.from('demo/1')] });
      const [sin, sout] = await accepted;
      try {
        console.log(`\n=== connection ${round}${round === 2 ? ' (same client context: the session is resumed)' : ''}`);
        cout.write(`hello from the client (connection ${round})`);
        console.log(`server received: ${await readSome(sin)}`);
        sout.write(`hello from the server (connection ${round})`);
        console.log(`client received: ${await readSome(cin)}`);
        for (const line of [...handshakeReport('client end', cin), ...handshakeReport('server end', sin)]) console.log(line);
        const same = o.sslChannelBinding(cin, 'tls-exporter').equals(o.sslChannelBinding(sin, 'tls-exporter'));
        console.log(`both ends derived the same tls-exporter binding: ${same ? 'yes' : 'NO'}`);
        if (!same) return 1;
      } finally {
        for (const p of [cin, cout, sin, sout]) p.destroy();
      }
    }
    return 0;
  } finally {
    await o.sslClose(listener);
  }
}
