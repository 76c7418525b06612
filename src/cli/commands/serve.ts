/**
 * `openssl-ports serve`: a TLS server like `openssl s_server`. In echo mode (the default) each
 * connection gets its own bytes back; in stdio mode the connection's bytes go to stdout and stdin goes
 * to the connection (one connection at a time). `--once` serves one connection, then exits.
 *
 * @module
 */
import * as o from '../../index.js';
import { handshakeReport } from '../report.js';
import { parseArgs, str, UsageError } from '../args.js';
import { bundledCert } from '../paths.js';
import { alpnList } from './connect.js';

/** The usage text of `serve`. */
export const SERVE_USAGE = `usage: openssl-ports serve [options]
  --port N            the port to listen on (default 0: pick a free one); prints "listening on HOST:PORT"
  --host ADDR         the address to listen on (default 127.0.0.1)
  --cert FILE --key FILE   the certificate chain and key (default: certs/test.pem, which gives no security)
  --alpn a,b          the ALPN protocols, most preferred first; a client offering none of them is refused
                      with no_application_protocol (RFC 7301, as openssl s_server -alpn)
  --alpn-allow-no-match   with --alpn: accept such a client with no protocol selected (the seed's rule)
  --verify-client CA  require a client certificate issued by a CA in the file CA
  --echo | --stdio    send each connection its bytes back (default), or connect it to stdin/stdout
  --once              serve one connection, then exit
  --quiet             no handshake reports`;

/** Runs `serve`; resolves with the exit code (after one connection with --once, else never). */
export async function serveCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, {
    port: 'string', host: 'string', cert: 'string', key: 'string', alpn: 'string', 'verify-client': 'string',
    'alpn-allow-no-match': 'boolean', echo: 'boolean', stdio: 'boolean', once: 'boolean', quiet: 'boolean',
  });
  if (p.positionals.length) throw new UsageError(`serve takes no positional arguments (got ${JSON.stringify(p.positionals[0])})`);
  if (p.flags.echo && p.flags.stdio) throw new UsageError('--echo and --stdio exclude each other');
  const portText = str(p, 'port') ?? '0';
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be 0–65535, got ${JSON.stringify(portText)}`);
  let cert = str(p, 'cert');
  let key = str(p, 'key');
  if (Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key go together');
  const alpn = alpnList(str(p, 'alpn'));
  const allowNoMatch = Boolean(p.flags['alpn-allow-no-match']);
  if (allowNoMatch && !alpn) throw new UsageError('--alpn-allow-no-match goes with --alpn');
  const quiet = Boolean(p.flags.quiet);
  const stdio = Boolean(p.flags.stdio);

  if (!cert) {
    cert = key = bundledCert('test.pem');
    process.stderr.write('warning: serving the bundled test certificate (certs/test.pem): its private key is public, this gives no security\n');
  }
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert, privateKey: ['pem', key!] });
  if (alpn) o.sslSetServerAlpn(ctx, alpn, allowNoMatch);
  const ca = str(p, 'verify-client');
  if (ca) {
    o.sslLoadVerifySource(ctx, ca);
    o.sslLoadSuggestedCertificateAuthorities(ctx, ca);
    o.sslSetVerify(ctx, true);
  }
  const host = str(p, 'host') ?? '127.0.0.1';
  // Handshakes run concurrently (a slow client stalls nobody); ending a connection sends close_notify,
  // and a client's close_notify is answered with ours (the echo ends our output).
  const listener = await o.sslListen(port, 511, true, host, ctx, { shutdownOnClose: true });
  // A failed handshake ends that connection, not the server.
  listener.on('tlsClientError', (e: Error) => {
    if (!quiet) process.stderr.write(`${e.message}\n`);
  });
  const [addr, bound] = o.sslAddresses(listener, true);
  process.stdout.write(`listening on ${addr.includes(':') ? `[${addr}]` : addr}:${bound}\n`);

  for (;;) {
    let ports: o.SslPorts;
    try {
      ports = await o.sslAccept(listener);
    } catch (e) {
      if (!quiet) process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      continue;
    }
    const [input, output] = ports;
    if (!quiet) {
      const [, , peer, peerPort] = o.sslAddresses(input, true);
      process.stderr.write(handshakeReport(`connection from ${peer}:${peerPort}`, input).map((l) => `${l}\n`).join('') + '---\n');
    }
    input.on('error', (e) => {
      if (!quiet) process.stderr.write(`${e.message}\n`);
    });
    output.on('error', () => {});
    const done = new Promise<void>((resolve) => {
      input.once('end', resolve);
      input.once('close', resolve);
    });
    if (stdio) {
      process.stdin.pipe(output);
      input.pipe(process.stdout, { end: false });
    } else input.pipe(output); // echo, with back-pressure; the client's EOF ends our output
    // In stdio mode, serve one connection at a time like s_server.
    if (p.flags.once || stdio) await done;
    const finish = (): void => {
      if (stdio) process.stdin.unpipe(output);
      input.destroy();
      output.end();
    };
    if (!p.flags.once) {
      void done.then(finish);
      continue;
    }
    finish();
    await o.sslClose(listener);
    if (stdio) process.stdin.destroy();
    return 0;
  }
}
