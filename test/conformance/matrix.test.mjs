// The conformance matrix as tests: one test per cell (peer × role × version × key × variant), each a
// real handshake and a transfer hashed on both sides, and the whole table printed at the end.
// Short form (npm test): 256 KiB per cell, once. Long form (CONFORMANCE_LONG=1, as
// `node scripts/run-tests.mjs --conformance` sets it): 16 MiB per cell, three times.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { cells, runCell, table, cellName } from './matrix.mjs';

const long = process.env.CONFORMANCE_LONG === '1';
const options = long ? { size: 16 << 20, reps: 3, timeoutMs: 120_000 } : { size: 256 << 10, reps: 1, timeoutMs: 20_000 };
const results = [];

for (const cell of cells()) {
  test(`conformance: ${cellName(cell)}`, { timeout: options.timeoutMs * options.reps + 30_000 }, async () => {
    const r = await runCell(cell, options);
    results.push(r);
    assert.ok(r.ok, r.detail);
  });
}

after(() => {
  console.log(`conformance matrix (${long ? 'long' : 'short'} form: ${options.size >> 10} KiB per cell × ${options.reps})`);
  console.log(table(results));
});
