#!/usr/bin/env node
// The benchmark: openssl-ports side by side with node:tls (and node:crypto for SHA-1) in one run, same
// certificates, same sizes, same verification, both ends in one process. Each figure runs a warm-up of
// both implementations, then alternates ours and node's runs and reports the medians; the ratio is
// ours / node (for RSS, lower is better). Results are printed as a table and written to
// bench/results.json.
//   npm run bench                                   full sizes, 5 rounds
//   node --expose-gc bench/run.mjs --quick          reduced sizes, 1 round (a smoke run)
//   node --expose-gc bench/run.mjs --only bulk,pingpong --rounds 3
// Figures: sha1, bulk, handshake (= handshake-ecdsa + handshake-rsa), pingpong, resumed, rss, stream-pair.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { median } from './lib.mjs';
import * as t from './tls.mjs';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return null;
  return args[i].includes('=') ? args[i].slice(args[i].indexOf('=') + 1) : (args[i + 1] ?? '');
};
const quick = args.includes('--quick');
const rounds = Number(option('--rounds') ?? (quick ? 1 : 5));
const onlyList = option('--only')?.split(',').filter(Boolean) ?? null;
const ALL = ['sha1', 'bulk', 'handshake-ecdsa', 'handshake-rsa', 'pingpong', 'resumed', 'rss', 'stream-pair'];
const only = onlyList?.flatMap((k) => (k === 'handshake' ? ['handshake-ecdsa', 'handshake-rsa'] : [k])) ?? null;
for (const k of only ?? []) if (!ALL.includes(k)) throw new Error(`unknown figure ${JSON.stringify(k)} (known: ${ALL.join(', ')}, handshake)`);
if (!(rounds >= 1)) throw new Error('--rounds must be at least 1');

/** Warm-up of both, then `rounds` alternating runs; medians of each. */
async function alternate(ours, node) {
  await ours();
  await node();
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await ours());
    b.push(await node());
  }
  return { ours: median(a), node: median(b), samples: { ours: a, node: b } };
}

function rssChild(impl, pairs) {
  const script = fileURLToPath(new URL('./rss-child.mjs', import.meta.url));
  const r = spawnSync(process.execPath, ['--expose-gc', script, impl, String(pairs)], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`rss child (${impl}) failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()).perThousandMiB;
}

const figures = {
  sha1: async () => {
    const sizeMiB = quick ? 128 : 1024;
    let benchSha1;
    try {
      ({ benchSha1 } = await import('./sha1.mjs'));
    } catch (e) {
      return { skipped: `bench/sha1.mjs unavailable (${e.message})` };
    }
    const r = await benchSha1({ sizeMiB, rounds });
    return { name: `SHA-1 of ${sizeMiB >= 1024 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`} vs node:crypto`, unit: 'MiB/s', ours: r.ours, node: r.node, target: 0.9, higherIsBetter: true };
  },
  bulk: async () => {
    const size = (quick ? 32 : 256) << 20;
    const r = await alternate(() => t.bulkOurs(size), () => t.bulkNode(size));
    return { name: `bulk ${size >> 20} MiB server → client, 16 KiB writes`, unit: 'MiB/s', ...r, target: 1.1, higherIsBetter: true };
  },
  'handshake-ecdsa': async () => {
    const n = quick ? 100 : 500;
    const r = await alternate(() => t.handshakesOurs('ecdsa', n), () => t.handshakesNode('ecdsa', n));
    return { name: `full TLS 1.3 handshakes, ECDSA P-256, verified (${n} sequential)`, unit: 'hs/s', ...r, target: 1.25, higherIsBetter: true };
  },
  'handshake-rsa': async () => {
    const n = quick ? 100 : 400;
    const r = await alternate(() => t.handshakesOurs('rsa', n), () => t.handshakesNode('rsa', n));
    return { name: `full TLS 1.3 handshakes, RSA-2048, verified (${n} sequential)`, unit: 'hs/s', ...r, target: 1.25, higherIsBetter: true };
  },
  pingpong: async () => {
    const n = quick ? 5000 : 30000;
    const r = await alternate(() => t.pingPongOurs(n), () => t.pingPongNode(n));
    return { name: `64-byte ping/pong round trips (${n} on one connection)`, unit: 'rt/s', ...r, target: 1.05, higherIsBetter: true };
  },
  resumed: async () => {
    const n = quick ? 100 : 500;
    const r = await alternate(() => t.resumedOurs(n), () => t.resumedNode(n));
    return { name: `resumed TLS 1.3 handshakes (${n} sequential)`, unit: 'hs/s', ...r, target: 1.25, higherIsBetter: true };
  },
  rss: async () => {
    const pairs = quick ? 200 : 1000;
    const a = [];
    const b = [];
    for (let i = 0; i < Math.max(1, Math.min(rounds, 3)); i++) {
      a.push(rssChild('ours', pairs));
      b.push(rssChild('node', pairs));
    }
    return { name: `RSS per 1000 idle connection pairs (${pairs} opened, separate processes)`, unit: 'MiB', ours: median(a), node: median(b), samples: { ours: a, node: b }, target: 0.6, higherIsBetter: false };
  },
  'stream-pair': async () => {
    const size = (quick ? 32 : 256) << 20;
    const r = await alternate(() => t.streamPairOurs(size), () => t.streamPairNode(size));
    return { name: `stream pair ${size >> 20} MiB (portsToSslPorts vs node:tls over an in-memory Duplex pair)`, unit: 'MiB/s', ...r, target: 1.5, higherIsBetter: true };
  },
};

const results = [];
for (const key of ALL) {
  if (only && !only.includes(key)) continue;
  process.stderr.write(`running ${key}…\n`);
  const r = await figures[key]();
  if (r.skipped) {
    process.stderr.write(`  skipped: ${r.skipped}\n`);
    results.push({ key, skipped: r.skipped });
    continue;
  }
  r.key = key;
  r.ratio = r.ours / r.node;
  r.met = r.higherIsBetter ? r.ratio >= r.target : r.ratio <= r.target;
  results.push(r);
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const header = `openssl-ports benchmark — Node ${process.version}, ${t.opensslVersion()}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model.trim() ?? '?'}), ${quick ? 'quick sizes, ' : ''}medians of ${rounds} alternating round(s) after a warm-up`;
console.log(`\n${header}\n`);
console.log('| figure | ours | node:tls | ratio | target | met? |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  if (r.skipped) {
    console.log(`| ${r.key} | — | — | — | — | skipped |`);
    continue;
  }
  console.log(`| ${r.name} | ${fmt(r.ours)} ${r.unit} | ${fmt(r.node)} ${r.unit} | ${r.ratio.toFixed(2)}× | ${r.higherIsBetter ? '≥' : '≤'} ${r.target}× | ${r.met ? 'yes' : 'no'} |`);
}

const out = fileURLToPath(new URL('./results.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, openssl: t.opensslVersion(), cpus: os.cpus().length, quick, rounds, results }, null, 2)}\n`);
console.log(`\n(written to ${out})`);
process.exit(0);
