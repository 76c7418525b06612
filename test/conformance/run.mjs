#!/usr/bin/env node
// `npm run conformance`: the whole matrix, long form (16 MiB per cell), printed as a table.
//   node test/conformance/run.mjs [--short] [--peer openssl]
import { cells, runCell, table } from './matrix.mjs';

const args = process.argv.slice(2);
const short = args.includes('--short');
const peer = args.includes('--peer') ? args[args.indexOf('--peer') + 1] : null;
const size = short ? 256 * 1024 : 16 * 1024 * 1024;
const results = [];
for (const cell of cells()) {
  if (peer && cell.peer !== peer) continue;
  results.push(await runCell(cell, { size, timeoutMs: short ? 20000 : 120000 }));
}
console.log(table(results));
process.exit(results.every((r) => r.ok) ? 0 : 1);
