#!/usr/bin/env node
/**
 * The `openssl-ports` command.
 *
 * @module
 */
import { demo } from './demo.js';

const [command] = process.argv.slice(2);
async function main(): Promise<number> {
  switch (command) {
    case 'demo':
      return demo();
    default:
      console.error(`openssl-ports: unknown command ${JSON.stringify(command ?? '')}; try "openssl-ports demo"`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`openssl-ports: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
