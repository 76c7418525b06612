#!/usr/bin/env node
// Runs the test suite with Node's test runner: every test/**/*.test.mjs file, under --expose-gc.
//   node scripts/run-tests.mjs                 unit + interop tests (and the short conformance run)
//   node scripts/run-tests.mjs --conformance   only the conformance suite, long form (CONFORMANCE_LONG=1)
//   node scripts/run-tests.mjs test/x.test.mjs only the files named
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const conformance = args.includes('--conformance');
const named = args.filter((a) => !a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.mjs')) out.push(p);
  }
  return out;
}

let files = named.length ? named : walk(join(root, 'test'));
if (conformance) files = files.filter((f) => f.includes(`${join('test', 'conformance')}`));
const env = { ...process.env };
if (conformance) env.CONFORMANCE_LONG = '1';
console.log(`openssl-ports tests: ${files.length} files, OpenSSL source: ${env.OPENSSL_PORTS_LIB ?? 'auto'}`);
const r = spawnSync(
  process.execPath,
  ['--expose-gc', '--test', '--test-concurrency=2', '--test-timeout=120000', ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: 'inherit', env },
);
process.exit(r.status ?? 1);
