// koffi's callback slots (8,192 per process) are given back when a worker that used the library exits.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { run } from './support/helpers.mjs';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// Each worker costs ~25-60 ms of CPU, so by default the child first occupies all but 600 of koffi's
// 8,192 slots and then runs 300 workers (1,800 slots' worth: 2fea881 fails after ~100 of them).
// OPENSSL_PORTS_TEST_WORKERS=3000 runs the 3,000 workers with every slot free (minutes).
const WORKERS = process.env.OPENSSL_PORTS_TEST_WORKERS ?? '300';
const RESERVE = process.env.OPENSSL_PORTS_TEST_WORKERS ? '0' : String(8192 - 600);
test(`${WORKERS} workers that import the library (some connect, some call process.exit) give back their koffi callback slots`, { timeout: 900_000 }, async () => {
  const r = await run(process.execPath, [fixture('worker-slots.mjs'), WORKERS, '8', RESERVE], { timeoutMs: 890_000 });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.match(r.stdout.toString(), /^ok \d+/);
});
