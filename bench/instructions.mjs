#!/usr/bin/env node
// Instruction counts of one workload, ours and node:tls, under valgrind's callgrind: steadier than
// wall-clock figures on a shared machine (the same binary and inputs give the same count whatever else
// the machine does). Each workload runs at two sizes in separate processes; the difference of the two
// totals divided by the difference of the sizes is the cost of one unit, startup and setup cancelled.
//   node bench/instructions.mjs pingpong-100 [--impl ours,node] [--sizes 2000,6000]
// Workloads (unit): handshake (one full ECDSA handshake pair, sequential), handshake-16 (the same, 16 in
// flight), pingpong (a 64-byte round trip, one connection), pingpong-100 (100 connections at once),
// bulk-s2c / bulk-c2s (one MiB), resumed (one resumed handshake pair). Both runs first warm up with the
// smaller size, so compiling the hot code is cancelled too.
// Needs valgrind. `--child IMPL WORKLOAD N` runs the workload once (used under valgrind).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};

const WORKLOADS = {
  handshake: { sizes: [40, 120], run: (t, impl, n) => (impl === 'ours' ? t.handshakesOurs('ecdsa', n) : t.handshakesNode('ecdsa', n)) },
  'handshake-16': { sizes: [64, 192], run: (t, impl, n) => (impl === 'ours' ? t.handshakesOurs('ecdsa', n, 16) : t.handshakesNode('ecdsa', n, 16)) },
  resumed: { sizes: [40, 120], run: (t, impl, n) => (impl === 'ours' ? t.resumedOurs(n) : t.resumedNode(n)) },
  pingpong: { sizes: [2000, 6000], run: (t, impl, n) => pingPongOf(t, impl)(n) },
  'pingpong-100': { sizes: [4000, 12000], run: (t, impl, n) => pingPongOf(t, impl)(n, 100) },
  'bulk-s2c': { sizes: [8, 24], run: (t, impl, n) => (impl === 'ours' ? t.bulkOurs(n << 20, 's2c') : t.bulkNode(n << 20, 's2c')) },
  'bulk-c2s': { sizes: [8, 24], run: (t, impl, n) => (impl === 'ours' ? t.bulkOurs(n << 20, 'c2s') : t.bulkNode(n << 20, 'c2s')) },
};

/** Ping/pong also has the plain-TCP limit (`--impl tcp`): the same harness through node:net. */
function pingPongOf(t, impl) {
  return impl === 'ours' ? t.pingPongOurs : impl === 'node' ? t.pingPongNode : t.pingPongTcp;
}

if (args[0] === '--child') {
  const [, impl, name, n, warm] = args;
  const t = await import('./tls.mjs');
  const w = WORKLOADS[name];
  await w.run(t, impl, Number(warm)); // the same warm-up at both sizes: code compiled, contexts made
  await w.run(t, impl, Number(n));
  process.exit(0);
}

const name = args[0];
const w = WORKLOADS[name];
if (!w) {
  console.error(`usage: node bench/instructions.mjs WORKLOAD [--impl ours,node] [--sizes A,B]\nworkloads: ${Object.keys(WORKLOADS).join(', ')}`);
  process.exit(2);
}
const impls = option('--impl', 'ours,node').split(',');
const sizes = option('--sizes', w.sizes.join(',')).split(',').map(Number);
const self = fileURLToPath(import.meta.url);

function count(impl, n) {
  const r = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, self, '--child', impl, name, String(n), String(sizes[0])],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const m = /Collected\s*:\s*(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`callgrind run failed (${impl} ${name} ${n}): ${r.stderr.slice(-2000)}`);
  return Number(m[1]);
}

const unit = name.startsWith('bulk') ? 'MiB' : name.startsWith('pingpong') ? 'round trip' : 'handshake pair';
const per = {};
for (const impl of impls) {
  const [a, b] = sizes.map((n) => count(impl, n));
  per[impl] = (b - a) / (sizes[1] - sizes[0]);
  console.log(`${name} ${impl}: ${Math.round(per[impl]).toLocaleString('en')} instructions per ${unit} (sizes ${sizes.join(', ')}: ${a} → ${b})`);
}
if (per.ours && per.node) console.log(`${name} ours / node: ${(per.ours / per.node).toFixed(3)}`);
