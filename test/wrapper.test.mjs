// portsToSslPorts over in-memory stream pairs (after Racket's basic.rkt), both modes, closing rules.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as o from '../dist/index.js';
import { cert, readAll, readExactly, limitedPipePair } from './support/helpers.mjs';

function serverContext(keyAsData = false) {
  const ctx = o.sslMakeServerContext('auto');
  o.sslLoadCertificateChain(ctx, cert('test.pem'));
  if (keyAsData) o.sslLoadPrivateKey(ctx, ['data', readFileSync(cert('test.pem'))]);
  else o.sslLoadPrivateKey(ctx, cert('test.pem'));
  return ctx;
}

for (const limit of [1, 10, 100]) {
  for (const closeOriginal of [false, true]) {
    test(`pipes of ${limit} bytes, closeOriginal ${closeOriginal}: data both ways, EOF after shutdown`, async () => {
      const { a, b } = limitedPipePair(limit);
      const serverSide = o.portsToSslPorts(b.input, b.output, {
        mode: 'accept',
        context: serverContext(limit === 100),
        closeOriginal,
        shutdownOnClose: true,
      });
      const clientSide = o.portsToSslPorts(a.input, a.output, { mode: 'connect', closeOriginal, shutdownOnClose: true });
      const [[sin, sout], [cin, cout]] = await Promise.all([serverSide, clientSide]);
      cout.write('abc');
      cout.write('de');
      assert.equal((await readExactly(sin, 5)).toString(), 'abcde');
      sout.end('hello');
      assert.equal((await readAll(cin)).toString(), 'hello', 'close_notify is EOF');
      cout.end();
      assert.equal((await readAll(sin)).length, 0);
      await new Promise((r) => setImmediate(r));
      if (closeOriginal) {
        assert.equal(a.output.writableEnded || a.output.destroyed, true, 'wrapped output closed');
        assert.equal(a.input.destroyed, true, 'wrapped input closed');
      } else {
        // The raw streams are still usable: a byte written raw on one side arrives raw on the other.
        a.output.write(Buffer.from([42]));
        assert.deepEqual([...(await readExactly(b.input, 1))], [42]);
        b.output.write(Buffer.from([7]));
        assert.deepEqual([...(await readExactly(a.input, 1))], [7]);
      }
    });
  }
}

test('alpn in accept mode is refused; wrong context kinds are TypeErrors', async () => {
  const { a, b } = limitedPipePair(100);
  await assert.rejects(o.portsToSslPorts(b.input, b.output, { mode: 'accept', alpn: [Buffer.from('x')] }), (e) => o.isSslError(e) && /alpn/.test(e.message));
  await assert.rejects(o.portsToSslPorts(a.input, a.output, { mode: 'connect', context: o.sslMakeServerContext() }), TypeError);
  await assert.rejects(o.portsToSslPorts(a.input, a.output, { mode: 'sideways' }), RangeError);
  await assert.rejects(o.portsToSslPorts('x', a.output), TypeError);
});

test('the error option converts handshake failures', async () => {
  const { a, b } = limitedPipePair(100);
  class MyError extends Error {}
  const server = o.portsToSslPorts(b.input, b.output, { mode: 'accept' }).catch((e) => e); // no certificate: fails
  await assert.rejects(
    o.portsToSslPorts(a.input, a.output, { mode: 'connect', error: (e) => new MyError(`wrapped: ${e.message}`) }),
    (e) => e instanceof MyError && /^wrapped: portsToSslPorts: connect failed/.test(e.message),
  );
  const se = await server;
  assert.ok(o.isSslError(se));
});
