// Bugs of particular OpenSSL releases that the engine steps around (src/ffi/known-bugs.ts).
//
// CVE-2024-4741: before 3.0.14 / 3.1.6 / 3.2.2 / 3.3.1, SSL_free_buffers freed the read buffer even
// while a record's header had arrived without its body, and the peer's next bytes went into freed
// memory. The engine frees an idle connection's buffers after the session tickets; on such a release it
// does so only when its record count says no part of a record is inside the SSL. The wire test below
// is that situation: an idle client (tickets read) receives a record's header alone, then the body.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { libcrypto } from '../dist/libcrypto.js';
import { freeBuffersRefusesPartialRecords, loadedFreeBuffersRefusesPartialRecords } from '../dist/ffi/known-bugs.js';
import { collectGarbage, ecdsaServerContext, readExactly, tick, until } from './support/helpers.mjs';

test('CVE-2024-4741: which OpenSSL releases free a buffer that holds part of a record', () => {
  const v = (major, minor, patch) => major * 0x10000000 + minor * 0x100000 + patch * 0x10;
  const cases = [
    [v(3, 0, 0), false],
    [v(3, 0, 2), false], // also Ubuntu 22.04's patched build: taken for unfixed (the careful path)
    [v(3, 0, 13), false],
    [v(3, 0, 14), true],
    [v(3, 0, 19), true],
    [v(3, 1, 5), false],
    [v(3, 1, 6), true],
    [v(3, 2, 1), false],
    [v(3, 2, 2), true],
    [v(3, 3, 0), false],
    [v(3, 3, 1), true],
    [v(3, 4, 0), true],
    [v(3, 5, 1), true],
    [v(4, 0, 0), true],
  ];
  for (const [n, fixed] of cases) assert.equal(freeBuffersRefusesPartialRecords(n), fixed, `0x${n.toString(16)}`);
  // The loaded library's answer is its own version's.
  const loadedVersion = Number(libcrypto.func('unsigned long OpenSSL_version_num()')());
  assert.equal(loadedFreeBuffersRefusesPartialRecords, freeBuffersRefusesPartialRecords(loadedVersion));
});

/**
 * A TCP relay to `port` that passes the client's bytes through, and the server's too until `split` is
 * called: the server's next chunk then reaches the client as its first 5 bytes (a record header),
 * and the rest `ms` later.
 */
async function splittingRelay(port) {
  let splitNext = null;
  const server = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    for (const s of [up, down]) s.on('error', () => {});
    down.pipe(up);
    up.on('data', (d) => {
      if (splitNext && d.length > 5) {
        const ms = splitNext;
        splitNext = null;
        down.write(d.subarray(0, 5));
        setTimeout(() => down.write(d.subarray(5)), ms);
      } else down.write(d);
    });
    up.on('end', () => down.end());
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: server.address().port, split: (ms) => (splitNext = ms), close: () => server.close() };
}

for (const protocol of ['tls13', 'tls12']) {
  test(`an idle client (${protocol}, tickets read) that gets a record's header alone, then its body, reads it whole`, async () => {
    await collectGarbage();
    const base = o.sslObjectCounts();
    const sctx = ecdsaServerContext(o, protocol);
    const l = await o.sslListen(0, 5, true, '127.0.0.1', sctx);
    const relay = await splittingRelay(o.sslListenerPort(l));
    const accepted = o.sslAccept(l);
    const [cin, cout] = await o.sslConnect('127.0.0.1', relay.port, o.sslMakeClientContext(protocol));
    const [sin, sout] = await accepted;
    cin.resume(); // reads the tickets, then goes idle (flowing, nothing to read)
    cin.pause();
    await tick(50);
    for (const size of [1, 100, 5000, 16384]) {
      for (const ms of [0, 30, 120]) { // 120 ms: idle sweeps run while only the header is there
        relay.split(ms);
        const data = randomBytes(size);
        sout.write(data);
        assert.deepEqual(await readExactly(cin, size), data, `${size} bytes, body ${ms} ms after the header`);
        await tick(20); // idle again between records
      }
    }
    // And the other way still works.
    cout.write('done');
    assert.equal((await readExactly(sin, 4)).toString(), 'done');
    for (const p of [cin, cout, sin, sout]) p.destroy();
    await o.sslClose(l);
    relay.close();
    await until(async () => {
      await collectGarbage();
      const now = o.sslObjectCounts();
      return now.SSL === base.SSL && now.BIO === base.BIO;
    }, 'every SSL and BIO freed');
  });
}
