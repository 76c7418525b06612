// Peer verification: the bad certificates of the test PKI, hostnames in the handshake, mutual TLS,
// verification requested on contexts and later on live ports (TLS 1.2 renegotiation, TLS 1.3 PHA).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert, readExactly, run } from './support/helpers.mjs';

async function serve(chain, key, protocol = 'auto', setup = () => {}) {
  const ctx = o.sslMakeServerContext(protocol, { certificateChain: cert(chain), privateKey: ['pem', cert(key)] });
  setup(ctx);
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  return { listener, port: o.sslListenerPort(listener), ctx };
}

/** Connects; resolves { client: ports | error, server: ports | error }. */
async function attempt(listener, port, clientCtx, host = 'localhost', options = {}) {
  const accepted = o.sslAccept(listener).catch((e) => e);
  const client = await o.sslConnect(host, port, clientCtx, options).catch((e) => e);
  const server = await accepted;
  return { client, server };
}
const close = (...sides) => {
  for (const s of sides) if (Array.isArray(s)) for (const p of s) p.destroy();
};

test("a 'secure' client refuses every bad certificate with OpenSSL's reason, accepts the good ones", async () => {
  o.sslDefaultVerifySources([cert('root-ca.pem')]);
  const secure = o.sslSecureClientContext();
  assert.equal(o.sslSecureClientContext(), secure, 'cached');
  const cases = [
    ['bad-expired-chain.pem', 'bad-expired.key', /certificate has expired/, 'CERTIFICATE_VERIFY_FAILED'],
    ['bad-not-yet-valid-chain.pem', 'bad-not-yet-valid.key', /certificate is not yet valid/],
    ['bad-wrong-host-chain.pem', 'bad-wrong-host.key', /hostname mismatch/i],
    ['bad-self-signed.pem', 'bad-self-signed.key', /self.signed certificate/],
    ['bad-untrusted-chain.pem', 'bad-untrusted.key', /unable to get local issuer certificate/],
    ['bad-missing-intermediate.pem', 'bad-missing-intermediate.key', /unable to get local issuer certificate/],
  ];
  for (const [chain, key, reason, code] of cases) {
    const { listener, port } = await serve(chain, key);
    for (const ctx of [secure, o.sslMakeClientContext('secure')]) {
      const { client, server } = await attempt(listener, port, ctx);
      assert.ok(o.isSslError(client), `${chain}: ${client}`);
      assert.match(client.message, /^sslConnect: connect failed \(/);
      assert.match(client.message, reason, chain);
      if (code) assert.equal(client.code, code);
      // The check happened inside the handshake: the server got an alert and its accept failed.
      assert.ok(o.isSslError(server), `${chain}: the server should have failed too`);
      assert.match(server.message, /^sslAccept: accept failed/);
    }
    await o.sslClose(listener);
  }
  for (const [chain, key] of [
    ['server-rsa-chain.pem', 'server-rsa.key'],
    ['server-ecdsa-chain.pem', 'server-ecdsa.key'],
  ]) {
    const { listener, port } = await serve(chain, key);
    for (const host of ['localhost', '127.0.0.1']) {
      const { client, server } = await attempt(listener, port, secure, host);
      assert.ok(Array.isArray(client), `${chain} via ${host}: ${client}`);
      assert.equal(o.sslPeerVerified(client[0]), true);
      close(client, server);
    }
    await o.sslClose(listener);
  }
  o.sslDefaultVerifySources([]);
  assert.notEqual(o.sslSecureClientContext(), secure, 'a new context once the sources change');
});

test('RSA-1024 and SHA-1 certificates are refused at the default security level', async () => {
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  for (const [chain, key] of [
    ['bad-rsa1024-chain.pem', 'bad-rsa1024.key'],
    ['bad-sha1-chain.pem', 'bad-sha1.key'],
  ]) {
    let made;
    try {
      made = await serve(chain, key);
    } catch (e) {
      // At security level 2 OpenSSL refuses to even load them ("ee key too small", "ca md too weak").
      assert.ok(o.isSslError(e) && /too small|too weak/.test(e.message), String(e));
      continue;
    }
    const { client, server } = await attempt(made.listener, made.port, ctx);
    assert.ok(o.isSslError(client), `${chain} must be refused`);
    close(client, server);
    await o.sslClose(made.listener);
  }
});

test('verification sources: file, hashed directory, missing, platform stores, try', () => {
  const ctx = o.sslMakeClientContext();
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslLoadVerifySource(ctx, ['directory', cert('ca-dir')]);
  assert.throws(() => o.sslLoadVerifySource(ctx, cert('nope.pem')), (e) => o.isSslError(e) && /^sslLoadVerifySource: /.test(e.message));
  assert.throws(() => o.sslLoadVerifySource(ctx, ['directory', cert('nope')]), (e) => o.isSslError(e));
  assert.throws(() => o.sslLoadVerifySource(ctx, ['win32-store', 'ROOT']), (e) => o.isSslError(e) && /Windows/.test(e.message));
  assert.throws(() => o.sslLoadVerifySource(ctx, ['macosx-keychain', null]), (e) => o.isSslError(e) && /macOS/.test(e.message));
  for (const src of [cert('nope.pem'), ['directory', cert('nope')], ['win32-store', 'ROOT'], ['macosx-keychain', null]]) {
    o.sslLoadVerifySource(ctx, src, { try: true });
  }
  assert.throws(() => o.sslLoadVerifySource(ctx, ['bogus', 'x']), RangeError);
  assert.throws(() => o.sslLoadVerifySource(ctx, 42), TypeError);
  assert.throws(() => o.sslLoadVerifySource('ctx', cert('root-ca.pem')), TypeError);
});

test('a hashed CA directory verifies lazily', async () => {
  const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key');
  const ctx = o.sslMakeClientContext();
  o.sslLoadVerifySource(ctx, ['directory', cert('ca-dir')]);
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  const { client, server } = await attempt(listener, port, ctx);
  assert.ok(Array.isArray(client), String(client));
  assert.equal(o.sslPeerVerified(client[1]), true);
  close(client, server);
  await o.sslClose(listener);
});

function clientWithCert(protocol = 'auto', how = 'options') {
  const ctx =
    how === 'options'
      ? o.sslMakeClientContext(protocol, { privateKey: ['pem', cert('client.key')], certificateChain: cert('client-chain.pem') })
      : o.sslMakeClientContext(protocol);
  if (how === 'load') {
    o.sslLoadCertificateChain(ctx, cert('client-chain.pem'));
    o.sslLoadPrivateKey(ctx, cert('client.key'));
  }
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  return ctx;
}

test('mutual TLS: required client certificates, by options or by load procedures', async () => {
  const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key', 'auto', (ctx) => {
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslSetVerify(ctx, true);
  });
  for (const how of ['options', 'load']) {
    const { client, server } = await attempt(listener, port, clientWithCert('auto', how));
    assert.ok(Array.isArray(client) && Array.isArray(server), `${how}: ${client} / ${server}`);
    for (const p of [...client, ...server]) assert.equal(o.sslPeerVerified(p), true, how);
    assert.match(o.sslPeerSubjectName(server[0]).toString(), /CN=client\.example\.com/);
    close(client, server);
  }
  // Without a client certificate the server refuses (TLS 1.3: the client learns it on its first read).
  const noCert = o.sslMakeClientContext();
  const { client, server } = await attempt(listener, port, noCert);
  assert.ok(o.isSslError(server));
  assert.match(server.message, /^sslAccept: accept failed \(.*peer did not return a certificate/);
  if (Array.isArray(client)) {
    await assert.rejects(readExactly(client[0], 1));
    close(client);
  } else assert.match(client.message, /connect failed/);
  await o.sslClose(listener);
});

test('sslTryVerify on a context: a client without a certificate is served, unverified', async () => {
  const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key', 'auto', (ctx) => {
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslTryVerify(ctx, true);
  });
  const a = await attempt(listener, port, o.sslMakeClientContext());
  assert.ok(Array.isArray(a.server));
  assert.equal(o.sslPeerVerified(a.server[0]), false);
  assert.equal(o.sslPeerSubjectName(a.server[0]), null);
  close(a.client, a.server);
  // A self-signed client certificate is not trusted: still served, still unverified, names visible.
  const selfSigned = o.sslMakeClientContext('auto', { privateKey: ['pem', cert('test.pem')], certificateChain: cert('test.pem') });
  const b = await attempt(listener, port, selfSigned);
  assert.ok(Array.isArray(b.server));
  assert.equal(o.sslPeerVerified(b.server[1]), false);
  assert.match(o.sslPeerSubjectName(b.server[1]).toString(), /CN=localhost/);
  close(b.client, b.server);
  const c = await attempt(listener, port, clientWithCert());
  assert.equal(o.sslPeerVerified(c.server[0]), true);
  close(c.client, c.server);
  await o.sslClose(listener);
});

for (const protocol of ['tls12', 'tls13']) {
  test(`${protocol}: verification requested later on the live port (${protocol === 'tls12' ? 'renegotiation' : 'post-handshake auth'})`, async () => {
    const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key', protocol, (ctx) => o.sslLoadVerifySource(ctx, cert('root-ca.pem')));
    const scenario = async (clientCtx, fn) => {
      const { client, server } = await attempt(listener, port, clientCtx);
      assert.ok(Array.isArray(client) && Array.isArray(server), `${client} ${server}`);
      const [cin, cout] = client;
      const [sin, sout] = server;
      assert.equal(o.sslPeerVerified(sin), false);
      // The client keeps reading so that the exchange progresses; the server writes after verifying.
      const clientRead = readExactly(cin, 2).catch((e) => e);
      const result = await fn(sin).then(
        () => 'ok',
        (e) => e,
      );
      if (result === 'ok') sout.write('ok');
      const got = await Promise.race([clientRead, new Promise((r) => setTimeout(() => r('no data'), 1000))]);
      const verified = result === 'ok' ? o.sslPeerVerified(sin) && o.sslPeerVerified(sout) : null;
      close([cin, cout], [sin, sout]);
      return { result, got, verified };
    };
    const good = await scenario(clientWithCert('auto'), (p) => o.sslSetVerify(p, true));
    assert.equal(good.result, 'ok');
    assert.equal(good.verified, true);
    assert.equal(good.got.toString(), 'ok');

    const missing = await scenario(o.sslMakeClientContext(), (p) => o.sslSetVerify(p, true));
    assert.ok(o.isSslError(missing.result), String(missing.result));
    assert.match(missing.result.message, /^sslSetVerify: failed/);

    const untrusted = await scenario(o.sslMakeClientContext('auto', { privateKey: ['pem', cert('test.pem')], certificateChain: cert('test.pem') }), (p) => o.sslSetVerify(p, true));
    assert.ok(o.isSslError(untrusted.result), String(untrusted.result));

    const tried = await scenario(o.sslMakeClientContext(), (p) => o.sslTryVerify(p, true));
    assert.equal(tried.result, 'ok');
    assert.equal(tried.verified, false);
    assert.equal(tried.got.toString(), 'ok');
    await o.sslClose(listener);
  });
}

test('suggested CA names go out in the CertificateRequest without becoming trusted', async () => {
  const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key', 'tls12', (ctx) => {
    o.sslLoadSuggestedCertificateAuthorities(ctx, cert('untrusted-ca.pem'));
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslTryVerify(ctx, true);
  });
  const accepted = o.sslAccept(listener).catch((e) => e);
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cert', cert('bad-untrusted.pem'), '-key', cert('bad-untrusted.key')], { input: '' });
  const text = r.stdout.toString();
  assert.match(text, /Acceptable client certificate CA names\s*\n\s*C = US, O = Nobody, CN = Untrusted Root CA/);
  const server = await accepted;
  if (Array.isArray(server)) {
    assert.equal(o.sslPeerVerified(server[0]), false, 'suggested is not trusted');
    close(server);
  }
  await o.sslClose(listener);
});
