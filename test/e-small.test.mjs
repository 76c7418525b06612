// Small hardening items of issue 18: empty key data, hashing a closed port, absurd ALPN lists.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { sha1 } from '../dist/sha1.js';
import { md5 } from '../dist/md5.js';
import { cert, PassThrough } from './support/helpers.mjs';

test('empty key data is refused as empty, by every data-tuple loader', () => {
  const ctx = o.sslMakeServerContext();
  for (const empty of [Buffer.alloc(0), new Uint8Array(0)]) {
    assert.throws(() => o.sslLoadPrivateKey(ctx, ['data', empty]), (e) => e instanceof RangeError && /^sslLoadPrivateKey: .*key data is empty/.test(e.message) && !/null parameter/.test(e.message));
    assert.throws(
      () => o.sslMakeServerContext('auto', { privateKey: ['pem-data', empty] }),
      (e) => e instanceof RangeError && /^sslMakeServerContext: .*key data is empty/.test(e.message),
    );
  }
  // Non-empty data still loads.
  o.sslLoadPrivateKey(ctx, ['data', Buffer.from(require_('server-rsa.key'))]);
});

function require_(name) {
  return new Uint8Array(Buffer.from(readFileSyncSafe(cert(name))));
}
import { readFileSync as readFileSyncSafe } from 'node:fs';

test('sha1/md5 of a closed port reject with an SslError naming the procedure', async () => {
  const sctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', sctx);
  try {
    const port = o.sslListenerPort(listener);
    for (const [fn, who] of [[sha1, 'sha1'], [md5, 'md5']]) {
      const accepted = o.sslAccept(listener);
      const [cin, cout] = await o.sslConnect('127.0.0.1', port);
      const [sin, sout] = await accepted;
      cin.destroy();
      await assert.rejects(fn(cin), (e) => o.isSslError(e) && e.message.startsWith(`${who}: `) && /closed/.test(e.message));
      for (const p of [cout, sin, sout]) p.destroy();
    }
  } finally {
    await o.sslClose(listener);
  }
});

test('an ALPN list claiming a huge length is refused at once, before it is walked', async () => {
  const sparse = [];
  sparse.length = 1e9;
  const proxy = new Proxy([Buffer.from('h2')], { get: (t, k) => (k === 'length' ? 1e9 : t[k]) });
  const ctx = o.sslMakeServerContext();
  for (const list of [sparse, proxy]) {
    assert.throws(() => o.sslSetServerAlpn(ctx, list), (e) => e instanceof RangeError && /^sslSetServerAlpn: alpn lists at most 32767 protocols, got 1000000000/.test(e.message));
    await assert.rejects(o.portsToSslPorts(new PassThrough(), new PassThrough(), { mode: 'connect', alpn: list }), (e) => e instanceof RangeError && /^portsToSslPorts: alpn lists at most/.test(e.message));
    await assert.rejects(o.sslConnect('127.0.0.1', 1, 'auto', { alpn: list }), (e) => e instanceof RangeError && /^sslConnect: alpn lists at most/.test(e.message));
  }
  // Not an array at all: a TypeError.
  assert.throws(() => o.sslSetServerAlpn(ctx, { length: 1e9 }), TypeError);
  // A normal list is still fine.
  o.sslSetServerAlpn(ctx, [Buffer.from('h2'), Buffer.from('http/1.1')]);
});
