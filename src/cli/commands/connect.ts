/**
 * `openssl-ports connect HOST:PORT`: a TLS client like `openssl s_client`, verifying the server's
 * chain and name by default; stdin goes to the server, the server's bytes to stdout, the handshake
 * report to stderr. Ends when the server closes the connection.
 *
 * @module
 */
import { appendFileSync } from 'node:fs';
import * as o from '../../index.js';
import { handshakeReport } from '../report.js';
import { parseArgs, str, UsageError } from '../args.js';

/** The usage text of `connect`. */
export const CONNECT_USAGE = `usage: openssl-ports connect HOST:PORT [options]
  --ca FILE           trust the certificates in FILE (default: the system's, see info)
  --insecure          do not verify the server's certificate or name
  --servername NAME   the name sent as SNI and verified (default: HOST)
  --alpn a,b          offer these ALPN protocols
  --cert FILE --key FILE   present a client certificate
  --tls12 | --tls13   only this protocol version
  --keylog FILE       append the session keys to FILE for Wireshark (also SSLKEYLOGFILE)
  --quiet             no handshake report`;

/** Splits "host:port" or "[v6]:port". */
export function hostPort(text: string | undefined): [string, number] {
  const m = text ? /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) : null;
  if (!m) throw new UsageError(`expected HOST:PORT, got ${JSON.stringify(text ?? '')}`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new UsageError(`port out of range: ${port}`);
  return [m[1] ?? m[2]!, port];
}

/** Splits an `--alpn a,b` list. */
export function alpnList(text: string | undefined): Buffer[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').filter(Boolean);
  for (const n of names) if (Buffer.byteLength(n) > 255) throw new UsageError(`ALPN protocol names are at most 255 bytes: ${n.slice(0, 20)}…`);
  return names.map((s) => Buffer.from(s));
}

/** Runs `connect`; resolves with the exit code. */
export async function connectCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, {
    insecure: 'boolean', ca: 'string', servername: 'string', alpn: 'string', cert: 'string', key: 'string',
    tls12: 'boolean', tls13: 'boolean', keylog: 'string', quiet: 'boolean',
  });
  if (p.positionals.length !== 1) throw new UsageError(p.positionals.length ? `connect takes one HOST:PORT, got ${p.positionals.length} arguments` : CONNECT_USAGE.split('\n')[0]!);
  const [host, port] = hostPort(p.positionals[0]);
  if (p.flags.tls12 && p.flags.tls13) throw new UsageError('--tls12 and --tls13 exclude each other');
  if (p.flags.insecure && str(p, 'ca')) throw new UsageError('--insecure and --ca exclude each other');
  const cert = str(p, 'cert');
  const key = str(p, 'key');
  if (Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key go together');
  const alpn = alpnList(str(p, 'alpn'));

  const protocol = p.flags.tls12 ? 'tls12' : p.flags.tls13 ? 'tls13' : 'auto';
  const ctx = o.sslMakeClientContext(protocol, cert && key ? { certificateChain: cert, privateKey: ['pem', key] } : {});
  if (!p.flags.insecure) {
    const ca = str(p, 'ca');
    if (ca) o.sslLoadVerifySource(ctx, ca);
    else o.sslLoadDefaultVerifySources(ctx);
    o.sslSetVerify(ctx, true);
    o.sslSetVerifyHostname(ctx, true);
  }
  const keylog = str(p, 'keylog') ?? (process.env.SSLKEYLOGFILE || undefined);
  if (keylog) {
    appendFileSync(keylog, '', { mode: 0o600 }); // fail now, before connecting, when the file cannot be written
    o.sslSetKeylogger(ctx, (line) => appendFileSync(keylog, Buffer.concat([line, Buffer.from('\n')]), { mode: 0o600 }));
  }

  const servername = str(p, 'servername');
  // shutdownOnClose: the end of stdin is a close_notify (the server sees the end of its input, like a
  // TCP half-close) while the server's remaining bytes are still read.
  const [input, output] = await o.sslConnect(host, port, ctx, {
    ...(servername ? { host: servername } : {}),
    ...(alpn ? { alpn } : {}),
    shutdownOnClose: true,
    reuseSession: false,
    timeout: 30_000,
  }).catch((e: unknown) => {
    throw e instanceof Error ? new Error(e.message.replace(/^sslConnect: /, '')) : e;
  });
  if (!p.flags.quiet) {
    const title = `connected to ${host}:${port}${servername ? ` as ${servername}` : ''}`;
    process.stderr.write(handshakeReport(title, input).map((l) => `${l}\n`).join('') + '---\n');
  }
  output.on('error', () => {}); // the server closing first is reported through the input port
  process.stdin.pipe(output);
  input.pipe(process.stdout, { end: false });
  try {
    await new Promise<void>((resolve, reject) => {
      input.once('end', resolve);
      input.once('close', resolve);
      input.once('error', reject);
    });
  } finally {
    process.stdin.unpipe(output);
    process.stdin.destroy();
    input.destroy();
    output.destroy();
  }
  return 0;
}
