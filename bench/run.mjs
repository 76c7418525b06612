#!/usr/bin/env node
// The benchmark: openssl-ports side by side with node:tls (and node:crypto for SHA-1) in one run,
// same certificates, same sizes, both ends in one process on loopback. Each figure alternates ours and
// node's runs and reports the median; the ratio is ours / node (for RSS, lower is better).
//   npm run bench                 full sizes
//   npm run bench -- --quick      reduced sizes (a smoke run)
//   npm run bench -- --only bulk,handshake-ecdsa
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchSha1 } from './sha1.mjs';
import * as t from './tls.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',') : null;
const rounds = quick ? 1 : 3;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function alternate(name, unit, target, higherIsBetter, ours, node) {
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await ours());
    b.push(await node());
  }
  const o = median(a);
  const n = median(b);
  const ratio = o / n;
  return { name, unit, ours: o, node: n, ratio, target, met: higherIsBetter ? ratio >= target : ratio <= target, higherIsBetter };
}

function rssChild(impl, pairs) {
  const script = fileURLToPath(new URL('./rss-child.mjs', import.meta.url));
  const r = spawnSync(process.execPath, ['--expose-gc', script, impl, String(pairs)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rss child failed: ${r.stderr}`);
  return JSON.parse(r.stdout).perThousandMiB;
}

const figures = {
  sha1: async () => {
    const r = await benchSha1({ sizeMiB: quick ? 128 : 1024, rounds });
    return { name: `SHA-1 of ${quick ? '128 MiB' : '1 GiB'} vs node:crypto`, unit: 'MiB/s', ours: r.ours, node: r.node, ratio: r.ratio, target: 0.9, met: r.ratio >= 0.9, higherIsBetter: true };
  },
  bulk: () => {
    const size = (quick ? 32 : 256) << 20;
    return alternate(`bulk ${size >> 20} MiB, 16 KiB writes`, 'MiB/s', 1.1, true, () => t.bulkOurs(size), () => t.bulkNode(size));
  },
  'handshake-ecdsa': () => {
    const n = quick ? 100 : 500;
    return alternate('full TLS 1.3 handshakes, ECDSA, verified', 'hs/s', 1.25, true, () => t.handshakesOurs('ecdsa', n), () => t.handshakesNode('ecdsa', n));
  },
  'handshake-rsa': () => {
    const n = quick ? 100 : 400;
    return alternate('full TLS 1.3 handshakes, RSA-2048, verified', 'hs/s', 1.25, true, () => t.handshakesOurs('rsa', n), () => t.handshakesNode('rsa', n));
  },
  pingpong: () => {
    const n = quick ? 5000 : 30000;
    return alternate('64-byte ping/pong round trips', 'rt/s', 1.05, true, () => t.pingPongOurs(n), () => t.pingPongNode(n));
  },
  resumed: () => {
    const n = quick ? 100 : 500;
    return alternate('resumed handshakes', 'hs/s', 1.25, true, () => t.resumedOurs(n), () => t.resumedNode(n));
  },
  rss: async () => {
    const pairs = quick ? 200 : 1000;
    const a = [];
    const b = [];
    for (let i = 0; i < rounds; i++) {
      a.push(rssChild('ours', pairs));
      b.push(rssChild('node', pairs));
    }
    const o = median(a);
    const n = median(b);
    return { name: 'RSS per 1000 idle connection pairs', unit: 'MiB', ours: o, node: n, ratio: o / n, target: 0.6, met: o / n <= 0.6, higherIsBetter: false };
  },
  'stream-pair': () => {
    const size = (quick ? 32 : 128) << 20;
    return alternate(`stream pair ${size >> 20} MiB (portsToSslPorts vs node:tls over a JS Duplex)`, 'MiB/s', 1.5, true, () => t.streamPairOurs(size), () => t.streamPairNode(size));
  },
};

const results = [];
for (const [key, run] of Object.entries(figures)) {
  if (only && !only.includes(key)) continue;
  process.stderr.write(`running ${key}…\n`);
  results.push(await run());
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
console.log(`\nopenssl-ports benchmark — Node ${process.version}, ${t.opensslVersion()}, medians of ${rounds} alternating run(s)\n`);
console.log('| figure | unit | openssl-ports | node | ratio | target | met |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.unit} | ${fmt(r.ours)} | ${fmt(r.node)} | ${r.ratio.toFixed(2)}× | ${r.higherIsBetter ? '≥' : '≤'} ${r.target}× | ${r.met ? 'yes' : 'no'} |`);
}
process.exit(0);
