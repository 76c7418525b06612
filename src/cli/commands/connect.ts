/**
 * `openssl-ports connect HOST:PORT`: a TLS client like `openssl s_client`, verifying by default;
 * stdin goes to the server, the server's bytes to stdout, the handshake report to stderr.
 *
 * @module
 */
import { appendFileSync } from 'node:fs';
import * as o from '../../index.js';
import { handshakeReport } from '../report.js';
import { parseArgs, str, UsageError } from '../args.js';

export const CONNECT_USAGE = `usage: openssl-ports connect HOST:PORT [--insecure] [--ca FILE] [--servername NAME]
        [--alpn a,b] [--cert FILE --key FILE] [--tls12 | --tls13] [--keylog FILE] [--quiet]`;

/** Splits "host:port" or "[v6]:port". */
export function hostPort(text: string | undefined): [string, number] {
  const m = text ? /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) : null;
  if (!m) throw new UsageError(`expected HOST:PORT, got ${JSON.stringify(text ?? '')}`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new UsageError(`port out of range: ${port}`);
  return [m[1] ?? m[2]!, port];
}

/** Runs `connect`; resolves with the exit code. */
export async function connectCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, {
    insecure: 'boolean', ca: 'string', servername: 'string', alpn: 'string', cert: 'string', key: 'string',
    tls12: 'boolean', tls13: 'boolean', keylog: 'string', quiet: 'boolean',
  });
  if (p.positionals.length !== 1) throw new UsageError(CONNECT_USAGE);
  const [host, port] = hostPort(p.positionals[0]);
  if (p.flags.tls12 && p.flags.tls13) throw new UsageError('--tls12 and --tls13 exclude each other');
  const cert = str(p, 'cert');
  const key = str(p, 'key');
  if (Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key go together');
  const protocol = p.flags.tls12 ? 'tls12' : p.flags.tls13 ? 'tls13' : 'auto';
  const ctx = o.sslMakeClientContext(protocol, cert && key ? { certificateChain: cert, privateKey: ['pem', key] } : {});
  if (!p.flags.insecure) {
    const ca = str(p, 'ca');
    if (ca) o.sslLoadVerifySource(ctx, ca);
    else o.sslLoadDefaultVerifySources(ctx);
    o.sslSetVerify(ctx, true);
    o.sslSetVerifyHostname(ctx, true);
  }
  const keylog = str(p, 'keylog') ?? process.env.SSLKEYLOGFILE;
  if (keylog) o.sslSetKeylogger(ctx, (line) => appendFileSync(keylog, Buffer.concat([line, Buffer.from('\n')])));
  const alpn = str(p, 'alpn')?.split(',').filter(Boolean).map((s) => Buffer.from(s));
  const servername = str(p, 'servername');
  const [input, output] = await o.sslConnect(host, port, ctx, { alpn, host: servername, reuseSession: false });
  if (!p.flags.quiet) {
    for (const line of handshakeReport(`connected to ${host}:${port}`, input)) process.stderr.write(`${line}\n`);
  }
  process.stdin.pipe(output);
  input.pipe(process.stdout);
  await new Promise<void>((resolve, reject) => {
    input.once('end', resolve);
    input.once('close', resolve);
    input.once('error', reject);
  });
  process.stdin.unpipe(output);
  process.stdin.destroy();
  output.destroy();
  return 0;
}
