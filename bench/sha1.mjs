// SHA-1 throughput: openssl-ports/sha1 (EVP through koffi) vs node:crypto, same chunks, same run.
import { createHash, randomBytes } from 'node:crypto';
import { sha1Bytes } from '../dist/sha1.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function* chunks(block, count) {
  for (let i = 0; i < count; i++) yield block;
}

/** Hashes `sizeMiB` of 1 MiB chunks with both, alternating `rounds` times; MiB/s medians. */
export async function benchSha1({ sizeMiB = 1024, rounds = 3 } = {}) {
  const block = randomBytes(1 << 20);
  const ours = [];
  const node = [];
  for (let r = 0; r < rounds; r++) {
    let t = process.hrtime.bigint();
    await sha1Bytes(chunks(block, sizeMiB));
    ours.push(sizeMiB / (Number(process.hrtime.bigint() - t) / 1e9));
    t = process.hrtime.bigint();
    const h = createHash('sha1');
    for await (const c of chunks(block, sizeMiB)) h.update(c);
    h.digest();
    node.push(sizeMiB / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  const o = median(ours);
  const n = median(node);
  return { name: 'sha1', ours: o, node: n, ratio: o / n };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchSha1();
  console.log(`SHA-1 1 GiB: openssl-ports ${r.ours.toFixed(0)} MiB/s, node:crypto ${r.node.toFixed(0)} MiB/s, ratio ${r.ratio.toFixed(2)}×`);
}
