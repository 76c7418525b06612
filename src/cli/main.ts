#!/usr/bin/env node
/**
 * The `openssl-ports` command: `demo`, `connect`, `serve`, `sha1`, `md5`, `info`, `help`.
 *
 * Errors are one line on stderr, `openssl-ports: <message>`, with exit code 1 (2 for a usage
 * error); set `OPENSSL_PORTS_DEBUG=1` to see the stack of an unexpected error.
 *
 * @module
 */
import { demo } from './commands/demo.js';
import { connectCommand, CONNECT_USAGE } from './commands/connect.js';
import { serveCommand, SERVE_USAGE } from './commands/serve.js';
import { digestCommand } from './commands/digest.js';
import { infoCommand } from './commands/info.js';
import { UsageError } from './args.js';

const HELP = `openssl-ports — TLS on the system OpenSSL, as Node streams

usage: openssl-ports <command> [options]

commands:
  demo                 a local TLS server and a verifying client on the bundled test certificates,
                       with a handshake report for both ends
  connect HOST:PORT    a TLS client (like openssl s_client): verifies by default; stdin/stdout piped
  serve                a TLS server (like openssl s_server): echo (default) or --stdio
  sha1 FILE…           SHA-1 of files, like sha1sum (- is standard input)
  md5 FILE…            MD5 of files, like md5sum
  info                 the OpenSSL in use and what it supports
  help                 this text

${CONNECT_USAGE}

${SERVE_USAGE}

environment:
  OPENSSL_PORTS_LIB=system|node|auto   which OpenSSL to load (default auto: the system's, else Node's)
  SSLKEYLOGFILE=FILE                   connect: append the session keys to FILE (NSS key log format)
  SSL_CERT_FILE, SSL_CERT_DIR          connect: the default trusted certificates
`;

/** Reports an error as one line (a stack trace only for unexpected errors with OPENSSL_PORTS_DEBUG). */
function fail(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`openssl-ports: ${message.split('\n')[0]}\n`);
  if (process.env.OPENSSL_PORTS_DEBUG && e instanceof Error && !(e instanceof UsageError)) process.stderr.write(`${e.stack}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const noArgs = (): void => {
    if (rest.length) throw new UsageError(`${command} takes no arguments`);
  };
  switch (command) {
    case 'demo':
      noArgs();
      return demo();
    case 'connect':
      return connectCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'sha1':
    case 'md5':
      return digestCommand(command, rest);
    case 'info':
      noArgs();
      return infoCommand();
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    case undefined:
      process.stderr.write(HELP);
      return 2;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; try "openssl-ports help"`);
  }
}

// Node's warnings (e.g. hashing falling back to JavaScript) as one line each, like our errors.
process.removeAllListeners('warning');
process.on('warning', (w) => process.stderr.write(`openssl-ports: warning: ${w.message}\n`));
// A reader that goes away (`openssl-ports sha1 … | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  fail(e);
});
// Errors raised outside the command's promise (a stream emitting 'error' late) are still one line.
process.on('uncaughtException', (e) => {
  fail(e);
  process.exit();
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, fail);
