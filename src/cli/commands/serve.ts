/**
 * `openssl-ports serve`: a TLS server like `openssl s_server`: echo (default) or stdio mode.
 *
 * @module
 */
import * as o from '../../index.js';
import { handshakeReport } from '../report.js';
import { parseArgs, str, UsageError } from '../args.js';
import { bundledCert } from '../paths.js';

export const SERVE_USAGE = `usage: openssl-ports serve [--port N] [--host ADDR] [--cert FILE --key FILE] [--alpn a,b]
        [--verify-client CA] [--echo | --stdio] [--once] [--quiet]`;

/** Runs `serve`; resolves with the exit code (after one connection with --once, else never). */
export async function serveCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, {
    port: 'string', host: 'string', cert: 'string', key: 'string', alpn: 'string', 'verify-client': 'string',
    echo: 'boolean', stdio: 'boolean', once: 'boolean', quiet: 'boolean',
  });
  if (p.positionals.length) throw new UsageError(SERVE_USAGE);
  if (p.flags.echo && p.flags.stdio) throw new UsageError('--echo and --stdio exclude each other');
  const portText = str(p, 'port') ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got ${portText}`);
  let cert = str(p, 'cert');
  let key = str(p, 'key');
  if (Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key go together');
  if (!cert) {
    cert = key = bundledCert('test.pem');
    process.stderr.write('warning: serving the bundled test certificate (certs/test.pem): its key is public, this gives no security\n');
  }
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert, privateKey: ['pem', key!] });
  const alpn = str(p, 'alpn');
  if (alpn) o.sslSetServerAlpn(ctx, alpn.split(',').filter(Boolean).map((s) => Buffer.from(s)));
  const ca = str(p, 'verify-client');
  if (ca) {
    o.sslLoadVerifySource(ctx, ca);
    o.sslLoadSuggestedCertificateAuthorities(ctx, ca);
    o.sslSetVerify(ctx, true);
  }
  const host = str(p, 'host') ?? '127.0.0.1';
  const listener = await o.sslListen(port, 16, true, host, ctx);
  const [addr, bound] = o.sslAddresses(listener, true);
  process.stdout.write(`listening on ${addr.includes(':') ? `[${addr}]` : addr}:${bound}\n`);
  for (;;) {
    let ports: o.SslPorts;
    try {
      ports = await o.sslAccept(listener);
    } catch (e) {
      if (!p.flags.quiet) process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      continue;
    }
    const [input, output] = ports;
    if (!p.flags.quiet) for (const line of handshakeReport('client connected', input)) process.stderr.write(`${line}\n`);
    input.on('error', () => {});
    output.on('error', () => {});
    const done = new Promise<void>((resolve) => {
      input.once('end', resolve);
      input.once('close', resolve);
    });
    if (p.flags.stdio) {
      process.stdin.pipe(output);
      input.pipe(process.stdout, { end: false });
    } else input.on('data', (d: Buffer) => output.write(d));
    if (!p.flags.once) {
      void done.then(() => {
        input.destroy();
        output.end();
      });
      continue;
    }
    await done;
    if (p.flags.stdio) process.stdin.unpipe(output);
    output.end();
    input.destroy();
    await o.sslClose(listener);
    if (p.flags.stdio) process.stdin.destroy();
    return 0;
  }
}
