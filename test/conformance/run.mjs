#!/usr/bin/env node
// `npm run conformance`: the whole matrix, long form (16 MiB per cell, three runs of each), printed
// as a table; exits non-zero when a cell fails.
//   node test/conformance/run.mjs [--short] [--reps N] [--mib N] [--peer openssl|gnutls|python|node]
import { cells, runCell, table, cellName } from './matrix.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const short = args.includes('--short');
const peer = arg('--peer', null);
const size = Math.round(Number(arg('--mib', short ? 0.25 : 16)) * 1048576);
const reps = Number(arg('--reps', short ? 1 : 3));
const results = [];
const started = Date.now();
for (const cell of cells()) {
  if (peer && cell.peer !== peer) continue;
  const t0 = Date.now();
  const r = await runCell(cell, { size, reps, timeoutMs: short ? 20_000 : 120_000 });
  process.stderr.write(`${r.ok ? 'PASS' : 'FAIL'} ${cellName(cell)} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  results.push(r);
}
console.log(`conformance matrix: ${(size / 1048576).toFixed(2)} MiB per cell × ${reps}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(table(results));
process.exit(results.every((r) => r.ok) ? 0 : 1);
