// Child process of test/serving.test.mjs: 1,000 idle TCP clients (connect, send a partial TLS record
// header, stop) and one normal client against one listener served the way the README recommends.
// Prints one JSON line of figures; exits 0 only when every check passed.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import * as o from '../../dist/index.js';
import { cert, readExactly } from './helpers.mjs';

const IDLE = Number(process.env.SLOWLORIS_IDLE ?? 1000);
const HANDSHAKE_TIMEOUT = 8000;
const fds = () => readdirSync('/proc/self/fd').length;
const mb = (n) => Math.round((n / 2 ** 20) * 10) / 10;

const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
const listener = await o.sslListen(0, 1024, true, '127.0.0.1', ctx, { handshakeTimeout: HANDSHAKE_TIMEOUT });
const port = o.sslListenerPort(listener);
const failures = [];
listener.on('tlsClientError', (err, info) => failures.push({ code: err.code, message: err.message, info }));
// The server: every connection handled on its own, the loop goes straight back to accepting.
(async () => {
  for await (const [input, output] of listener) {
    input.once('data', (d) => output.end(`pong:${d}`));
    input.on('error', () => {});
    output.on('error', () => {});
  }
})();

globalThis.gc?.();
const before = { fds: fds(), rss: process.memoryUsage().rss };
let idleClosed = 0;
const idle = [];
for (let i = 0; i < IDLE; i += 100) {
  await Promise.all(
    Array.from({ length: Math.min(100, IDLE - i) }, () => new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(Buffer.from([0x16, 0x03])); // two bytes of a record header, then nothing
        resolve();
      });
      s.on('error', () => {});
      s.once('close', () => idleClosed++);
      s.once('error', (e) => (s.connecting ? reject(e) : undefined));
      idle.push(s);
    })),
  );
}
// Let the server take every connection (two fds per idle client: ours and the server's).
for (let i = 0; i < 100 && fds() < before.fds + 2 * IDLE; i++) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 200));
const during = { fds: fds(), rss: process.memoryUsage().rss };

const t0 = performance.now();
const [cin, cout] = await o.sslConnect('127.0.0.1', port);
cout.write('ping');
const reply = (await readExactly(cin, 9)).toString();
const servedMs = performance.now() - t0;
const idleClosedWhenServed = idleClosed;
assert.equal(reply, 'pong:ping');
// Liveness, not speed: the normal client was served while every idle client was still waiting.
assert.equal(idleClosedWhenServed, 0, 'the normal client was served before the idle ones timed out');
cin.destroy();
cout.destroy();

// The handshake timeout ends the idle ones.
const until = Date.now() + HANDSHAKE_TIMEOUT + 20_000;
while (idleClosed < IDLE && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
assert.equal(idleClosed, IDLE, 'every idle client was cut off');
assert.equal(failures.length, IDLE);
assert.ok(failures.every((f) => f.code === 'ETIMEDOUT' && /handshake timed out/.test(f.message) && f.info.remoteAddress === '127.0.0.1'));
for (let i = 0; i < 10; i++) {
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 20));
}
const after = { fds: fds(), rss: process.memoryUsage().rss };
// Bounded: two fds per idle client while they wait (ours and the server's), back to the start after;
// well under 100 KiB of memory per waiting client.
assert.ok(during.fds - before.fds <= 2 * IDLE + 20, `fds while waiting: ${before.fds} -> ${during.fds}`);
assert.ok(after.fds - before.fds <= 10, `fds after: ${before.fds} -> ${after.fds}`);
assert.ok(during.rss - before.rss < IDLE * 100 * 1024, `RSS while waiting: ${mb(before.rss)} -> ${mb(during.rss)} MiB`);
assert.equal(o.sslObjectCounts().SSL, 0);
await o.sslClose(listener);
console.log(JSON.stringify({
  idle: IDLE,
  servedMs: Math.round(servedMs * 10) / 10,
  fds: { before: before.fds, during: during.fds, after: after.fds },
  rssMiB: { before: mb(before.rss), during: mb(during.rss), after: mb(after.rss) },
}));
