#!/usr/bin/env node
// The fuzzer on demand (`npm run fuzz` runs the long form):
//   node --expose-gc test/fuzz/run.mjs [--long] [--cases N] [--seed S]
// --long (or FUZZ_LONG=1) runs 100,000 cases, the default 10,000. Exits non-zero on a bad outcome,
// an unhandled rejection, an uncaught exception, or OpenSSL objects left behind.
import { runFuzz } from './fuzz.mjs';
import * as o from '../../dist/index.js';

const args = process.argv.slice(2);
const val = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const long = args.includes('--long') || process.env.FUZZ_LONG === '1';
const cases = val('--cases', long ? 100_000 : 10_000);
const seed = val('--seed', Date.now() % 1e9);
const t0 = Date.now();
const res = await runFuzz({ cases, seed });
for (let i = 0; i < 4; i++) {
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 25));
}
const objects = o.sslObjectCounts();
console.log(JSON.stringify({ seed, seconds: (Date.now() - t0) / 1000, ...res, objects }, null, 1));
console.log(`fuzz: ${res.cases} cases run (seed ${seed}): ${res['ssl-error']} SslErrors, ${res.completed} completed, ${res.unhandled} unhandled rejections, ${res.uncaught} uncaught exceptions`);
const leaked = globalThis.gc ? objects.SSL + objects.BIO : 0;
process.exit(res.cases === cases && res.other === 0 && res.unhandled === 0 && res.uncaught === 0 && leaked === 0 ? 0 : 1);
