#!/usr/bin/env node
// The fuzzer on demand: node --expose-gc test/fuzz/run.mjs [--long] [--cases N] [--seed S]
import { runFuzz } from './fuzz.mjs';
import * as o from '../../dist/index.js';

const args = process.argv.slice(2);
const val = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const cases = val('--cases', args.includes('--long') ? 100_000 : 10_000);
const seed = val('--seed', Date.now() % 1e9);
const t0 = Date.now();
const res = await runFuzz({ cases, seed });
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 100));
console.log(JSON.stringify({ seed, seconds: (Date.now() - t0) / 1000, ...res, objects: o.sslObjectCounts() }, null, 1));
