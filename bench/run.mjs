#!/usr/bin/env node
// The benchmark: openssl-ports side by side with node:tls (and node:crypto for SHA-1) in one run, same
// certificates, same sizes, same verification, both ends in one process. Each figure runs a warm-up of
// both implementations, then alternates ours and node's runs and reports the medians; the ratio is
// ours / node (for RSS, lower is better). Results are printed as a table and written to
// bench/results.json.
//   npm run bench                                   full sizes, 5 rounds
//   node --expose-gc bench/run.mjs --quick          reduced sizes, 1 round (a smoke run)
//   node --expose-gc bench/run.mjs --only bulk,pingpong --rounds 3
// Where a physical limit exists (plain TCP loopback through node:net for bulk and ping/pong, the bare
// Duplex pair for the stream pair), it runs in the same rounds and each figure is also printed as a
// percentage of it.
// Figures: sha1, bulk-s2c, bulk-c2s (= bulk), handshake-ecdsa, handshake-rsa, handshake-16 (= handshake),
// pingpong, pingpong-100, resumed, rss, stream-pair.
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
const ALL = ['sha1', 'bulk-s2c', 'bulk-c2s', 'handshake-ecdsa', 'handshake-rsa', 'handshake-16', 'pingpong', 'pingpong-100', 'resumed', 'rss', 'stream-pair'];
const GROUPS = { bulk: ['bulk-s2c', 'bulk-c2s'], handshake: ['handshake-ecdsa', 'handshake-rsa', 'handshake-16'] };
const only = onlyList?.flatMap((k) => GROUPS[k] ?? [k]) ?? null;
for (const k of only ?? []) if (!ALL.includes(k)) throw new Error(`unknown figure ${JSON.stringify(k)} (known: ${ALL.join(', ')}, ${Object.keys(GROUPS).join(', ')})`);
if (!(rounds >= 1)) throw new Error('--rounds must be at least 1');

/** Warm-up of each, then `rounds` alternating runs (ours, node, the limit); medians of each. */
async function alternate(ours, node, limit = null) {
  await ours();
  await node();
  if (limit) await limit();
  const a = [];
  const b = [];
  const c = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await ours());
    b.push(await node());
    if (limit) c.push(await limit());
  }
  const r = { ours: median(a), node: median(b), samples: { ours: a, node: b } };
  if (limit) {
    r.limit = median(c);
    r.samples.limit = c;
  }
  return r;
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
    return { name: `SHA-1 of ${sizeMiB >= 1024 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`} vs node:crypto`, unit: 'MiB/s', ours: r.ours, node: r.node, target: 0.95, higherIsBetter: true };
  },
  'bulk-s2c': async () => {
    const size = (quick ? 32 : 256) << 20;
    const r = await alternate(() => t.bulkOurs(size, 's2c'), () => t.bulkNode(size, 's2c'), () => t.bulkTcp(size, 's2c'));
    return { name: `bulk ${size >> 20} MiB server → client, 16 KiB writes`, unit: 'MiB/s', ...r, limitName: 'plain TCP', target: 1.0, higherIsBetter: true };
  },
  'bulk-c2s': async () => {
    const size = (quick ? 32 : 256) << 20;
    const r = await alternate(() => t.bulkOurs(size, 'c2s'), () => t.bulkNode(size, 'c2s'), () => t.bulkTcp(size, 'c2s'));
    return { name: `bulk ${size >> 20} MiB client → server, 16 KiB writes`, unit: 'MiB/s', ...r, limitName: 'plain TCP', target: 1.0, higherIsBetter: true };
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
  'handshake-16': async () => {
    const n = quick ? 160 : 800;
    const r = await alternate(() => t.handshakesOurs('ecdsa', n, 16), () => t.handshakesNode('ecdsa', n, 16));
    return { name: `full TLS 1.3 handshakes, ECDSA P-256, verified (${n}, 16 in flight)`, unit: 'hs/s', ...r, target: 1.25, higherIsBetter: true };
  },
  pingpong: async () => {
    const n = quick ? 5000 : 30000;
    const r = await alternate(() => t.pingPongOurs(n), () => t.pingPongNode(n), () => t.pingPongTcp(n));
    return { name: `64-byte ping/pong round trips (${n} on one connection)`, unit: 'rt/s', ...r, limitName: 'plain TCP', target: 1.1, higherIsBetter: true };
  },
  'pingpong-100': async () => {
    const n = quick ? 20000 : 100000;
    const r = await alternate(() => t.pingPongOurs(n, 100), () => t.pingPongNode(n, 100), () => t.pingPongTcp(n, 100));
    return { name: `64-byte ping/pong round trips (${n} over 100 connections at once)`, unit: 'rt/s', ...r, limitName: 'plain TCP', target: 1.1, higherIsBetter: true };
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
    return { name: `RSS per 1000 idle connection pairs (${pairs} opened, separate processes)`, unit: 'MiB', ours: median(a), node: median(b), samples: { ours: a, node: b }, target: 0.55, higherIsBetter: false };
  },
  'stream-pair': async () => {
    const size = (quick ? 32 : 256) << 20;
    const r = await alternate(() => t.streamPairOurs(size), () => t.streamPairNode(size), () => t.streamPairPlain(size));
    return { name: `stream pair ${size >> 20} MiB (portsToSslPorts vs node:tls over an in-memory Duplex pair)`, unit: 'MiB/s', ...r, limitName: 'the bare pair', target: 1.3, higherIsBetter: true };
  },
};

process.stderr.write('checking that both clients verify…\n');
await t.checkVerification();

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
console.log('| figure | ours | node:tls | ratio | target | met? | limit | ours % of limit | node % of limit |');
console.log('|---|---|---|---|---|---|---|---|---|');
const pct = (x, l) => `${((100 * x) / l).toFixed(0)} %`;
for (const r of results) {
  if (r.skipped) {
    console.log(`| ${r.key} | — | — | — | — | skipped | — | — | — |`);
    continue;
  }
  const lim = r.limit ? [`${fmt(r.limit)} ${r.unit} (${r.limitName})`, pct(r.ours, r.limit), pct(r.node, r.limit)] : ['—', '—', '—'];
  console.log(`| ${r.name} | ${fmt(r.ours)} ${r.unit} | ${fmt(r.node)} ${r.unit} | ${r.ratio.toFixed(2)}× | ${r.higherIsBetter ? '≥' : '≤'} ${r.target}× | ${r.met ? 'yes' : 'no'} | ${lim.join(' | ')} |`);
}

const out = fileURLToPath(new URL('./results.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, openssl: t.opensslVersion(), cpus: os.cpus().length, quick, rounds, results }, null, 2)}\n`);
console.log(`\n(written to ${out})`);
process.exit(0);
