// SHA-1 throughput: openssl-ports/sha1 (EVP through koffi) vs node:crypto, same chunks, same process.
//   node bench/sha1.mjs            1 GiB of 1 MiB chunks, 3 alternating rounds each, medians
import { createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sha1Bytes } from '../dist/sha1.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `count` chunks, all the same reused block: the stream is generated, never held. */
async function* chunks(block, count) {
  for (let i = 0; i < count; i++) yield block;
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

/**
 * Hashes a `sizeMiB` stream of 1 MiB chunks with our `sha1Bytes` (async iterable input) and with
 * node:crypto's `createHash('sha1')` fed the same chunks, alternating `rounds` times; medians in MiB/s.
 *
 * @example
 * const { ours, node, ratio } = await benchSha1({ sizeMiB: 1024 }); // ratio target ≥ 0.95
 */
export async function benchSha1({ sizeMiB = 1024, rounds = 3 } = {}) {
  const block = randomBytes(1 << 20);
  const ours = [];
  const node = [];
  let a, b;
  for (let r = 0; r < rounds; r++) {
    let t = process.hrtime.bigint();
    a = await sha1Bytes(chunks(block, sizeMiB));
    ours.push(sizeMiB / seconds(t));
    t = process.hrtime.bigint();
    const h = createHash('sha1');
    for await (const c of chunks(block, sizeMiB)) h.update(c);
    b = h.digest();
    node.push(sizeMiB / seconds(t));
  }
  if (!a.equals(b)) throw new Error('benchSha1: openssl-ports and node:crypto disagree');
  const o = median(ours);
  const n = median(node);
  const name = sizeMiB === 1024 ? 'sha1 1 GiB' : `sha1 ${sizeMiB} MiB`;
  return { name, ours: o, node: n, ratio: o / n };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchSha1({});
  console.log(`${r.name}: openssl-ports ${r.ours.toFixed(0)} MiB/s, node:crypto ${r.node.toFixed(0)} MiB/s, ratio ${r.ratio.toFixed(2)}×`);
}
