// Node-like verification codes: for each bad certificate of the test PKI, served by a node:tls server,
// our verifying client's SslError carries `verifyCode` equal to the `code` node:tls's own client reports
// for the same certificate against the same server (and `code` stays CERTIFICATE_VERIFY_FAILED).
// Server side: our server refusing a client certificate reports what node:tls's authorizationError says.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import * as o from '../dist/index.js';
import { cert } from './support/helpers.mjs';

const pem = (name) => readFileSync(cert(name));

/** A node:tls server with the given chain and key on loopback; resolves its port. */
async function nodeServer(t, chain, key, extra = {}) {
  const server = createTlsServer({ cert: chain, key, ...extra }, (s) => s.end());
  server.on('tlsClientError', () => {});
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return server.address().port;
}

/** node:tls as the client, trusting the root: resolves the error's code, or null when it verified. */
function nodeClientCode(port, host) {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ...(host === '127.0.0.1' ? {} : { servername: host }), ca: pem('root-ca.pem') }, () => {
      resolve(null);
      s.destroy();
    });
    s.on('error', (e) => resolve(e.code));
  });
}

/** Our client, trusting the root, checking the name: resolves the SslError (or null when it verified). */
async function ourClientError(port, host) {
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  try {
    const [i, out] = await o.sslConnect('127.0.0.1', port, ctx, { host });
    i.destroy();
    out.destroy();
    return null;
  } catch (e) {
    return e;
  }
}

const cases = [
  ['expired', pem('bad-expired-chain.pem'), 'bad-expired.key', 'localhost', 'CERT_HAS_EXPIRED'],
  ['not yet valid', pem('bad-not-yet-valid-chain.pem'), 'bad-not-yet-valid.key', 'localhost', 'CERT_NOT_YET_VALID'],
  ['self-signed', pem('bad-self-signed.pem'), 'bad-self-signed.key', 'localhost', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  ['from an untrusted CA', pem('bad-untrusted-chain.pem'), 'bad-untrusted.key', 'localhost', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [
    'chained to an untrusted root that is sent',
    Buffer.concat([pem('bad-untrusted.pem'), pem('untrusted-ca.pem')]),
    'bad-untrusted.key',
    'localhost',
    'SELF_SIGNED_CERT_IN_CHAIN',
  ],
  ['missing its intermediate', pem('bad-missing-intermediate.pem'), 'bad-missing-intermediate.key', 'localhost', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  ['for another host', pem('bad-wrong-host-chain.pem'), 'bad-wrong-host.key', 'localhost', 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ['for another host, reached by IP address', pem('bad-wrong-host-chain.pem'), 'bad-wrong-host.key', '127.0.0.1', 'ERR_TLS_CERT_ALTNAME_INVALID'],
];

for (const [what, chain, key, host, expected] of cases) {
  test(`a certificate ${what}: verifyCode is what node:tls reports (${expected})`, async (t) => {
    const port = await nodeServer(t, chain, pem(key));
    const nodeCode = await nodeClientCode(port, host);
    const ours = await ourClientError(port, host);
    assert.ok(o.isSslError(ours), `our client should refuse it: ${ours}`);
    assert.equal(ours.code, 'CERTIFICATE_VERIFY_FAILED');
    assert.equal(ours.verifyCode, nodeCode, `${what}: node:tls says ${nodeCode}, we say ${ours.verifyCode} (${ours.message})`);
    assert.equal(ours.verifyCode, expected);
    assert.equal(typeof ours.verifyResult, 'number');
    assert.ok(ours.verifyResult > 0);
    // verifyResult is OpenSSL's own finding; for a lone leaf whose issuer is unknown it is the first one (20)
    if (expected === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') assert.equal(ours.verifyResult, 20);
  });
}

test('a good certificate: both clients verify, and errors that are not about certificates have no verifyCode', async (t) => {
  const port = await nodeServer(t, pem('server-rsa-chain.pem'), pem('server-rsa.key'));
  assert.equal(await nodeClientCode(port, 'localhost'), null);
  assert.equal(await ourClientError(port, 'localhost'), null);
  const refused = await o.sslConnect('127.0.0.1', 1).catch((e) => e);
  assert.ok(o.isSslError(refused));
  assert.equal(refused.verifyCode, null);
  assert.equal(refused.verifyResult, null);
  assert.equal(new o.SslError('x').verifyCode, null);
});

test("our server refusing a client certificate reports node:tls's authorizationError for it", async (t) => {
  // node:tls's view of the same client certificate (test.pem: self-signed) against the same trust
  const nodeAuth = new Promise((resolve) => {
    const server = createTlsServer(
      { cert: pem('server-rsa-chain.pem'), key: pem('server-rsa.key'), ca: pem('root-ca.pem'), requestCert: true, rejectUnauthorized: false },
      (s) => {
        resolve(s.authorizationError);
        s.destroy();
      },
    );
    server.listen(0, '127.0.0.1', async () => {
      t.after(() => server.close());
      const ctx = o.sslMakeClientContext('auto', { certificateChain: cert('test.pem'), privateKey: ['pem', cert('test.pem')] });
      const ports = await o.sslConnect('127.0.0.1', server.address().port, ctx).catch((e) => e);
      if (Array.isArray(ports)) ports.forEach((p) => p.destroy());
    });
  });
  const expected = await nodeAuth;
  assert.equal(typeof expected, 'string');

  const serverCtx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  o.sslLoadVerifySource(serverCtx, cert('root-ca.pem'));
  o.sslSetVerify(serverCtx, true);
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
  t.after(() => o.sslClose(listener));
  const accepted = o.sslAccept(listener).catch((e) => e);
  const ctx = o.sslMakeClientContext('auto', { certificateChain: cert('test.pem'), privateKey: ['pem', cert('test.pem')] });
  const client = await o.sslConnect('127.0.0.1', o.sslListenerPort(listener), ctx).catch((e) => e);
  if (Array.isArray(client)) client.forEach((p) => p.destroy());
  const server = await accepted;
  assert.ok(o.isSslError(server), String(server));
  assert.equal(server.code, 'CERTIFICATE_VERIFY_FAILED');
  assert.equal(server.verifyCode, expected);
});
