#!/usr/bin/env node
// The benchmark: openssl-ports side by side with node:tls (and node:crypto for SHA-1) in one run, same
// certificates, same sizes, same verification, both ends in one process. Each figure runs a warm-up of
// both implementations, then alternates ours and node's runs and reports the medians; the ratio is
// ours / node (for RSS, lower is better). Results are printed as a table and written to
// bench/results.json.
//   npm run bench                                   full sizes, 5 rounds
//   node --expose-gc bench/run.mjs --quick          reduced sizes, 1 round (a smoke run)
//   node --expose-gc bench/run.mjs --only bulk,pingpong --rounds 3
//   node --expose-gc bench/run.mjs --no-embedded    without the column of ours on Node's OpenSSL
// When openssl-ports loads the system OpenSSL (its default), each figure also runs ours on Node's
// embedded OpenSSL, the build node:tls uses, in a child process (bench/embedded-worker.mjs) that takes
// its turn in the same alternating rounds: the two ratios tell the engine from the OpenSSL build.
// Where a physical limit exists (plain TCP loopback through node:net for bulk and ping/pong, the bare
// Duplex pair for the stream pair), it runs in the same rounds and each figure is also printed as a
// percentage of it.
// Figures: sha1, bulk-s2c, bulk-c2s (= bulk), handshake-ecdsa, handshake-rsa, handshake-16 (= handshake),
// pingpong, pingpong-100, resumed, rss, stream-pair.
import { fork, spawnSync } from 'node:child_process';
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
const withEmbedded = !args.includes('--no-embedded') && t.opensslInfo()?.source !== 'node';

/**
 * Starts bench/embedded-worker.mjs (ours on Node's embedded OpenSSL) and resolves once it has checked
 * verification: `run(fn, ...args)` runs one function of bench/tls.mjs there and resolves its result.
 */
async function startEmbedded() {
  const script = fileURLToPath(new URL('./embedded-worker.mjs', import.meta.url));
  const child = fork(script, [], { env: { ...process.env, OPENSSL_PORTS_LIB: 'node' }, execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  let next = 1;
  child.on('message', ({ id, value, error }) => {
    const w = waiting.get(id);
    waiting.delete(id);
    if (error !== undefined) w?.reject(new Error(`embedded worker: ${error}`));
    else w?.resolve(value);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`embedded worker exited with code ${code}`));
    waiting.clear();
  });
  const answer = (id) => new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
  const version = await answer(0);
  return {
    version,
    run(fn, ...a) {
      const id = next++;
      const p = answer(id);
      child.send({ id, fn, args: a });
      return p;
    },
    close: () => child.disconnect(),
  };
}
const embedded = withEmbedded ? await startEmbedded() : null;
/** A figure of ours run on Node's embedded OpenSSL (null without the worker). */
const onNodeOpenssl = (fn, ...a) => (embedded ? () => embedded.run(fn, ...a) : null);

/**
 * Warm-up of each, then `rounds` alternating runs (ours, ours on Node's OpenSSL, node, the limit);
 * medians of each.
 */
async function alternate(ours, node, limit = null, oursNode = null) {
  await ours();
  if (oursNode) await oursNode();
  await node();
  if (limit) await limit();
  const a = [];
  const b = [];
  const c = [];
  const e = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await ours());
    if (oursNode) e.push(await oursNode());
    b.push(await node());
    if (limit) c.push(await limit());
  }
  const r = { ours: median(a), node: median(b), samples: { ours: a, node: b } };
  if (limit) {
    r.limit = median(c);
    r.samples.limit = c;
  }
  if (oursNode) {
    r.oursNodeOpenssl = median(e);
    r.samples.oursNodeOpenssl = e;
  }
  return r;
}

function rssChild(impl, pairs, opensslLib = process.env.OPENSSL_PORTS_LIB) {
  const script = fileURLToPath(new URL('./rss-child.mjs', import.meta.url));
  const env = { ...process.env };
  if (opensslLib === undefined) delete env.OPENSSL_PORTS_LIB;
  else env.OPENSSL_PORTS_LIB = opensslLib;
  const r = spawnSync(process.execPath, ['--expose-gc', script, impl, String(pairs)], { encoding: 'utf8', timeout: 300_000, env });
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
    const r = await alternate(() => t.bulkOurs(size, 's2c'), () => t.bulkNode(size, 's2c'), () => t.bulkTcp(size, 's2c'), onNodeOpenssl('bulkOurs', size, 's2c'));
    return { name: `bulk ${size >> 20} MiB server → client, 16 KiB writes`, unit: 'MiB/s', ...r, limitName: 'plain TCP', target: 1.0, higherIsBetter: true };
  },
  'bulk-c2s': async () => {
    const size = (quick ? 32 : 256) << 20;
    const r = await alternate(() => t.bulkOurs(size, 'c2s'), () => t.bulkNode(size, 'c2s'), () => t.bulkTcp(size, 'c2s'), onNodeOpenssl('bulkOurs', size, 'c2s'));
    return { name: `bulk ${size >> 20} MiB client → server, 16 KiB writes`, unit: 'MiB/s', ...r, limitName: 'plain TCP', target: 1.0, higherIsBetter: true };
  },
  'handshake-ecdsa': async () => {
    const n = quick ? 100 : 500;
    const r = await alternate(() => t.handshakesOurs('ecdsa', n), () => t.handshakesNode('ecdsa', n), null, onNodeOpenssl('handshakesOurs', 'ecdsa', n));
    return { name: `full TLS 1.3 handshakes, ECDSA P-256, verified (${n} sequential)`, unit: 'hs/s', ...r, target: 1.25, higherIsBetter: true };
  },
  'handshake-rsa': async () => {
    const n = quick ? 100 : 400;
    const r = await alternate(() => t.handshakesOurs('rsa', n), () => t.handshakesNode('rsa', n), null, onNodeOpenssl('handshakesOurs', 'rsa', n));
    return { name: `full TLS 1.3 handshakes, RSA-2048, verified (${n} sequential)`, unit: 'hs/s', ...r, target: 1.25, higherIsBetter: true };
  },
  'handshake-16': async () => {
    const n = quick ? 160 : 800;
    const r = await alternate(() => t.handshakesOurs('ecdsa', n, 16), () => t.handshakesNode('ecdsa', n, 16), null, onNodeOpenssl('handshakesOurs', 'ecdsa', n, 16));
    return { name: `full TLS 1.3 handshakes, ECDSA P-256, verified (${n}, 16 in flight)`, unit: 'hs/s', ...r, target: 1.25, higherIsBetter: true };
  },
  pingpong: async () => {
    const n = quick ? 5000 : 30000;
    const r = await alternate(() => t.pingPongOurs(n), () => t.pingPongNode(n), () => t.pingPongTcp(n), onNodeOpenssl('pingPongOurs', n));
    return { name: `64-byte ping/pong round trips (${n} on one connection)`, unit: 'rt/s', ...r, limitName: 'plain TCP', target: 1.1, higherIsBetter: true };
  },
  'pingpong-100': async () => {
    const n = quick ? 20000 : 100000;
    const r = await alternate(() => t.pingPongOurs(n, 100), () => t.pingPongNode(n, 100), () => t.pingPongTcp(n, 100), onNodeOpenssl('pingPongOurs', n, 100));
    return { name: `64-byte ping/pong round trips (${n} over 100 connections at once)`, unit: 'rt/s', ...r, limitName: 'plain TCP', target: 1.1, higherIsBetter: true };
  },
  resumed: async () => {
    const n = quick ? 100 : 500;
    const r = await alternate(() => t.resumedOurs(n), () => t.resumedNode(n), null, onNodeOpenssl('resumedOurs', n));
    return { name: `resumed TLS 1.3 handshakes (${n} sequential)`, unit: 'hs/s', ...r, target: 1.25, higherIsBetter: true };
  },
  rss: async () => {
    const pairs = quick ? 200 : 1000;
    const a = [];
    const b = [];
    const e = [];
    for (let i = 0; i < Math.max(1, Math.min(rounds, 3)); i++) {
      a.push(rssChild('ours', pairs));
      if (embedded) e.push(rssChild('ours', pairs, 'node'));
      b.push(rssChild('node', pairs));
    }
    const r = { name: `RSS per 1000 idle connection pairs (${pairs} opened, separate processes)`, unit: 'MiB', ours: median(a), node: median(b), samples: { ours: a, node: b }, target: 0.55, higherIsBetter: false };
    if (embedded) {
      r.oursNodeOpenssl = median(e);
      r.samples.oursNodeOpenssl = e;
    }
    return r;
  },
  'stream-pair': async () => {
    const size = (quick ? 32 : 256) << 20;
    const r = await alternate(() => t.streamPairOurs(size), () => t.streamPairNode(size), () => t.streamPairPlain(size), onNodeOpenssl('streamPairOurs', size));
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
  if (r.oursNodeOpenssl !== undefined) {
    r.ratioNodeOpenssl = r.oursNodeOpenssl / r.node;
    r.metNodeOpenssl = r.higherIsBetter ? r.ratioNodeOpenssl >= r.target : r.ratioNodeOpenssl <= r.target;
  }
  results.push(r);
}
embedded?.close();

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const info = t.opensslInfo();
const header = `openssl-ports benchmark — Node ${process.version}, ours on ${info ? `the ${info.source} OpenSSL (${info.version})` : 'no OpenSSL'}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model.trim() ?? '?'}), ${quick ? 'quick sizes, ' : ''}medians of ${rounds} alternating round(s) after a warm-up`;
console.log(`\n${header}\n`);
if (embedded) console.log(`"ours, Node's OpenSSL": openssl-ports on Node's embedded OpenSSL (${embedded.version}), the build node:tls uses, in a child process taking its turn in the same rounds.\n`);
const cols = ['figure', 'ours', 'node:tls', 'ratio', 'target', 'met?'];
if (embedded) cols.push("ours, Node's OpenSSL", 'ratio', 'met?');
cols.push('limit', 'ours % of limit');
if (embedded) cols.push("ours (Node's OpenSSL) % of limit");
cols.push('node % of limit');
console.log(`| ${cols.join(' | ')} |`);
console.log(`|${cols.map(() => '---').join('|')}|`);
const pct = (x, l) => `${((100 * x) / l).toFixed(0)} %`;
for (const r of results) {
  if (r.skipped) {
    console.log(`| ${r.key} | — | — | — | — | skipped |${' — |'.repeat(cols.length - 6)}`);
    continue;
  }
  const row = [r.name, `${fmt(r.ours)} ${r.unit}`, `${fmt(r.node)} ${r.unit}`, `${r.ratio.toFixed(2)}×`, `${r.higherIsBetter ? '≥' : '≤'} ${r.target}×`, r.met ? 'yes' : 'no'];
  if (embedded) row.push(...(r.oursNodeOpenssl === undefined ? ['—', '—', '—'] : [`${fmt(r.oursNodeOpenssl)} ${r.unit}`, `${r.ratioNodeOpenssl.toFixed(2)}×`, r.metNodeOpenssl ? 'yes' : 'no']));
  row.push(r.limit ? `${fmt(r.limit)} ${r.unit} (${r.limitName})` : '—', r.limit ? pct(r.ours, r.limit) : '—');
  if (embedded) row.push(r.limit && r.oursNodeOpenssl !== undefined ? pct(r.oursNodeOpenssl, r.limit) : '—');
  row.push(r.limit ? pct(r.node, r.limit) : '—');
  console.log(`| ${row.join(' | ')} |`);
}

const out = fileURLToPath(new URL('./results.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, openssl: t.opensslVersion(), opensslSource: info?.source ?? null, embeddedOpenssl: embedded?.version ?? null, cpus: os.cpus().length, quick, rounds, results }, null, 2)}\n`);
console.log(`\n(written to ${out})`);
process.exit(0);
