// The library in worker threads: user code that calls process.exit() inside an OpenSSL callback in a
// worker ends the worker, not the process; worker.terminate() inside a callback (a known koffi limit).
import test from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { run } from './support/helpers.mjs';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

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
