// The library in worker threads: user code that calls process.exit() inside an OpenSSL callback in a
// worker ends the worker, not the process; worker.terminate() inside a callback ends the worker, not the process.
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

// koffi 2.12.4's relay aborted the process ("FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw",
// SIGABRT) when worker.terminate() landed while the worker was inside an OpenSSL call that calls back:
// napi_call_function refuses to run JavaScript in a stopping environment and node-addon-api turned that
// into napi_fatal_error. koffi 3 (CallData::CallCallback) takes napi_cannot_run_js / napi_pending_exception
// as "no value" and returns to C without throwing. Every callback kind is installed: key logger, SNI,
// ALPN, verification (both sides), client sessions; every other run also does a live verification (the
// message callback) with tracing on (the info callback).
test(
  'worker.terminate() during verified handshakes with every callback installed (40 child processes) ends the worker, not the process',
  async () => {
    const results = [];
    for (let i = 0; i < 40; i++) {
      const live = i % 2 === 1;
      const env = live ? { ...process.env, NODE_DEBUG: 'openssl-ports' } : process.env;
      const args = [fixture('worker-terminate.mjs'), String(3 + (i % 8) * 3), ...(live ? ['live'] : [])];
      const r = await run(process.execPath, args, { timeoutMs: 60_000, env });
      const err = r.stderr.toString();
      results.push({ code: r.code, terminated: r.stdout.toString().trim() === 'terminated', fatal: /FATAL ERROR/.test(err) ? err.slice(-300) : null });
    }
    assert.deepEqual(results.filter((x) => x.code !== 0 || !x.terminated || x.fatal), []);
  },
);
