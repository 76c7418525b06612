#!/usr/bin/env node
/**
 * The `openssl-ports` command: `demo`, `connect`, `serve`, `sha1`, `md5`, `info`.
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
  demo                 a local TLS server and a verifying client on the bundled test certificates
  connect HOST:PORT    a TLS client (like openssl s_client); stdin/stdout piped
  serve                a TLS server (like openssl s_server); echo or stdio
  sha1 FILE…           SHA-1 of files (- is standard input)
  md5 FILE…            MD5 of files
  info                 the OpenSSL in use and what it supports

${CONNECT_USAGE}
${SERVE_USAGE}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return demo();
    case 'connect':
      return connectCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'sha1':
    case 'md5':
      return digestCommand(command, rest);
    case 'info':
      return infoCommand();
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; try "openssl-ports help"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // One clear line for the user, never a stack trace.
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`openssl-ports: ${message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
