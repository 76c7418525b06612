// A child of bench/run.mjs that runs openssl-ports' figures on Node's embedded OpenSSL (the very build
// node:tls uses), so that the table can show, in the same run, how much of a ratio is the engine and
// how much the OpenSSL build. Started with OPENSSL_PORTS_LIB=node through child_process.fork; each IPC
// message { id, fn, args } runs one exported function of bench/tls.mjs and answers { id, value } or
// { id, error }. Only one figure runs at a time: the parent waits for the answer before it goes on.
import * as t from './tls.mjs';

const info = t.opensslInfo();
if (info?.source !== 'node') {
  process.send({ id: 0, error: `expected Node's embedded OpenSSL, got ${info?.source ?? 'none'}` });
  process.exit(1);
}
await t.checkVerification();
process.send({ id: 0, value: info.version });
process.on('message', async ({ id, fn, args }) => {
  try {
    if (typeof t[fn] !== 'function') throw new Error(`bench/tls.mjs has no function ${fn}`);
    process.send({ id, value: await t[fn](...args) });
  } catch (e) {
    process.send({ id, error: e?.stack ?? String(e) });
  }
});
process.on('disconnect', () => process.exit(0));
