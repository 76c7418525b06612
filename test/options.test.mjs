// Every options object of the library rejects unknown keys with a TypeError naming the procedure and
// the key; for the node:tls names people try, the message says what the equivalent is here. (On 2fea881
// `sslConnect(h, p, 'auto', { rejectUnauthorized: true, ca, servername, ALPNProtocols })` connected
// unverified, without ALPN.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import * as o from '../dist/index.js';
import { cert } from './support/helpers.mjs';

const NODE_TLS = {
  rejectUnauthorized: /'secure'|sslSetVerify/,
  ca: /sslLoadVerifySource/,
  servername: /`host`/,
  ALPNProtocols: /`alpn`|sslSetServerAlpn/,
  cert: /certificateChain|sslLoadCertificateChain/,
  key: /privateKey|sslLoadPrivateKey/,
  minVersion: /protocol/,
  maxVersion: /protocol/,
  secureProtocol: /protocol/,
  checkServerIdentity: /sslSetVerifyHostname/,
  secureContext: /SslContext/,
  pfx: /PEM/,
  passphrase: /decrypt/,
  ciphers: /sslSetCiphers/,
  session: /reuseSession/,
  requestCert: /sslSetVerify/,
  SNICallback: /sslSetServerNameIdentificationCallback/,
  port: /positional/,
};

test('every options object refuses unknown keys, and explains the node:tls names', async (t) => {
  const serverCtx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
  t.after(() => o.sslClose(listener));
  const port = o.sslListenerPort(listener);
  const duplex = () => new PassThrough();
  // [procedure name, call with an options object]
  const entries = [
    ['sslConnect', (opts) => o.sslConnect('127.0.0.1', port, 'auto', opts)],
    ['sslAccept', (opts) => o.sslAccept(listener, opts)],
    ['portsToSslPorts', (opts) => o.portsToSslPorts(duplex(), duplex(), { mode: 'connect', ...opts })],
    ['sslClientUpgrade', (opts) => o.sslClientUpgrade(duplex(), opts)],
    ['sslServerUpgrade', (opts) => o.sslServerUpgrade(duplex(), serverCtx, opts)],
    ['sslMakeClientContext', (opts) => o.sslMakeClientContext('auto', opts)],
    ['sslMakeServerContext', (opts) => o.sslMakeServerContext('auto', opts)],
    ['sslLoadVerifySource', (opts) => o.sslLoadVerifySource(o.sslMakeClientContext(), cert('root-ca.pem'), opts)],
  ];
  for (const [who, call] of entries) {
    const unknown = await Promise.resolve().then(() => call({ bogus: 1 })).then(() => null, (e) => e);
    assert.ok(unknown instanceof TypeError, `${who} accepted { bogus }: ${unknown}`);
    assert.match(unknown.message, new RegExp(`^${who}: unknown option "bogus"; known options: `));
    for (const [name, equivalent] of Object.entries(NODE_TLS)) {
      const e = await Promise.resolve().then(() => call({ [name]: name === 'rejectUnauthorized' ? true : 'x' })).then(() => null, (err) => err);
      assert.ok(e instanceof TypeError, `${who} accepted { ${name} }: ${e}`);
      assert.match(e.message, new RegExp(`^${who}: unknown option "${name}"; that is a node:tls option: `), who);
      assert.match(e.message, equivalent, `${who} ${name}: ${e.message}`);
    }
  }
  // The known options still work (one real connection through the checked path).
  const accepted = o.sslAccept(listener, { timeout: 10_000 });
  const client = await o.sslConnect('127.0.0.1', port, 'auto', { host: 'localhost', alpn: [Buffer.from('x')], reuseSession: false, timeout: 10_000 });
  const server = await accepted;
  for (const p of [...client, ...server]) p.destroy();
  o.sslLoadVerifySource(o.sslMakeClientContext(), cert('root-ca.pem'), { try: true });
  // Not an object at all: TypeError too.
  await assert.rejects(o.sslConnect('127.0.0.1', port, 'auto', 'rejectUnauthorized'), /^TypeError: sslConnect: options must be an options object/);
  assert.throws(() => o.sslMakeClientContext('auto', 42), TypeError);
});

test('sslSetVerify and sslTryVerify refuse an options object where their flag goes', () => {
  const ctx = o.sslMakeClientContext();
  for (const set of [o.sslSetVerify, o.sslTryVerify]) {
    assert.throws(() => set(ctx, { rejectUnauthorized: false }), (e) => e instanceof TypeError && /^ssl(Set|Try)Verify: on must be a boolean/.test(e.message));
  }
  o.sslSetVerify(ctx, true);
  o.sslSetVerify(ctx, false);
  o.sslTryVerify(ctx, 1);
});
