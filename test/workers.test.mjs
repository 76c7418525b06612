// The library in worker threads: koffi's callback slots (8,192 per process) are given back when a
// worker exits, and user code that calls process.exit() inside an OpenSSL callback in a worker ends
// the worker, not the process.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { run } from './support/helpers.mjs';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// 1,500 workers take 9,000 slots without the fix (2fea881 fails at worker ~1,365); each worker costs
// ~60 ms of CPU, so the 3,000 of the issue run with OPENSSL_PORTS_TEST_WORKERS=3000.
const WORKERS = process.env.OPENSSL_PORTS_TEST_WORKERS ?? '1500';
test(`${WORKERS} workers that import the library (some connect, some call process.exit) give back their koffi callback slots`, { timeout: 900_000 }, async () => {
  const r = await run(process.execPath, [fixture('worker-slots.mjs'), WORKERS, '8'], { timeoutMs: 890_000 });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.match(r.stdout.toString(), /^ok \d+/);
});

for (const kind of ['keylog', 'sni']) {
  test(`process.exit() inside ${kind === 'keylog' ? 'a key logger' : 'an SNI callback'} in a worker ends the worker, not the process`, async () => {
    const r = await run(process.execPath, [fixture('worker-exit.mjs'), kind], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr.toString());
    assert.equal(r.stdout.toString().trim(), 'survived 7', r.stderr.toString());
  });
}

// Known limit, kept visible: koffi 2.12.4's relay aborts the process when worker.terminate() lands while
// the worker is inside an OpenSSL call that calls back (napi_call_function refuses to run JavaScript in
// a stopping environment, and its prebuilt binary turns that into napi_fatal_error before any of the
// library's code runs; see src/ffi/callbacks.ts). Reported as a todo until koffi can survive it.
test(
  'worker.terminate() during verified handshakes with every callback installed (20 child processes) ends the worker, not the process',
  { todo: 'koffi 2.12.4 aborts in napi_throw when a callback is entered in a terminating worker; not fixable from JavaScript' },
  async () => {
    const codes = [];
    for (let i = 0; i < 20; i++) {
      const r = await run(process.execPath, [fixture('worker-terminate.mjs'), String(3 + (i % 8) * 3)], { timeoutMs: 60_000 });
      codes.push(r.code);
    }
    assert.deepEqual(codes, new Array(20).fill(0));
  },
);
