#!/usr/bin/env node
// Checks the import graph of src/: no module imports a higher layer, and only src/ffi/ imports koffi.
// The layers, lowest first, are listed in ARCHITECTURE.md; this table is the executable form.
//   node scripts/check-layers.mjs        prints every violation, exits 1 if there is one
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');

/**
 * Layer of a module (path relative to src/, with .ts), lowest first. A module may import its own layer
 * and any lower one, never a higher one. Keep in step with ARCHITECTURE.md.
 */
export const LAYERS = [
  ['base', (p) => ['errors.ts', 'assert.ts', 'node-tls-hints.ts'].includes(p)],
  ['ffi', (p) => p.startsWith('ffi/')],
  ['hash', (p) => p.startsWith('hash/')],
  ['context', (p) => p.startsWith('context/')],
  ['ports', (p) => p.startsWith('ports/')],
  ['engine', (p) => p.startsWith('engine/')],
  ['peer', (p) => p.startsWith('peer/')],
  ['entry', (p) => p.startsWith('entry/')],
  ['api', (p) => p.startsWith('api/')],
  ['integrations', (p) => p.startsWith('socket/')],
  ['modules', (p) => !p.includes('/')],
  ['cli', (p) => p.startsWith('cli/')],
];

/**
 * Inside the engine, only these may import the facade (`engine/connection.ts`): the parts (pump,
 * plaintext, lifecycle, transport, live verification, …) see the connection only through the host
 * interface each declares, so each can be read on its own.
 */
export const ENGINE_FACADE_USERS = ['engine/connection.ts', 'engine/registry.ts'];

export function layerOf(p) {
  const i = LAYERS.findIndex(([, test]) => test(p));
  return i;
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every .ts file under src/, as `{ path, text }` (path relative to src/, forward slashes). */
export function sourceFiles() {
  return walk(src).map((file) => ({ path: relative(src, file).split('\\').join('/'), text: readFileSync(file, 'utf8') }));
}

/**
 * The layering problems of `files` (default: src/), one line each: a module in no layer, an import of
 * a higher layer, or koffi (or src/ffi/koffi.ts, which re-exports it) imported outside src/ffi/.
 */
export function check(files = sourceFiles()) {
  const problems = [];
  for (const { path: from, text } of files) {
    const lf = layerOf(from);
    if (lf < 0) {
      problems.push(`${from}: in no layer (add it to scripts/check-layers.mjs and ARCHITECTURE.md)`);
      continue;
    }
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec === 'koffi' || spec.startsWith('koffi/')) {
        if (!from.startsWith('ffi/')) problems.push(`${from}: imports koffi (only src/ffi/ may)`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const to = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts');
      if (to === 'ffi/koffi.ts' && !from.startsWith('ffi/')) {
        problems.push(`${from}: imports koffi through ffi/koffi.ts (only src/ffi/ may)`);
        continue;
      }
      if (to === 'engine/connection.ts' && from.startsWith('engine/') && !ENGINE_FACADE_USERS.includes(from)) {
        problems.push(`${from} imports engine/connection.ts: an engine part talks to the connection through its own host interface`);
        continue;
      }
      const lt = layerOf(to);
      if (lt < 0) problems.push(`${from} imports ${to}, which is in no layer`);
      else if (lt > lf) problems.push(`${from} (${LAYERS[lf][0]}) imports ${to} (${LAYERS[lt][0]}), a higher layer`);
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const problems = check();
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} layering violation(s)` : 'layers: ok');
  process.exit(problems.length ? 1 : 0);
}
