// Peer verification over real TLS: the bad certificates of the test PKI refused by a 'secure' client,
// hostnames and IP literals checked inside the handshake, the `host` option, mutual TLS, verification
// requested on contexts and later on live ports (TLS 1.2 renegotiation, TLS 1.3 post-handshake auth),
// verify sources (file, hashed directory, platform stores) and the CA names a server suggests.
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
const isPorts = (v) => Array.isArray(v) && v.length === 2;

function verifyingClient(protocol = 'auto') {
  const ctx = o.sslMakeClientContext(protocol);
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  return ctx;
}

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
const selfSignedClient = () => o.sslMakeClientContext('auto', { privateKey: ['pem', cert('test.pem')], certificateChain: cert('test.pem') });

test("a 'secure' client refuses every bad certificate with OpenSSL's reason, inside the handshake", async (t) => {
  const saved = o.sslDefaultVerifySources();
  t.after(() => o.sslDefaultVerifySources(saved));
  o.sslDefaultVerifySources([cert('root-ca.pem')]);
  const secure = o.sslSecureClientContext();
  const cases = [
    ['bad-expired-chain.pem', 'bad-expired.key', /certificate has expired/],
    ['bad-not-yet-valid-chain.pem', 'bad-not-yet-valid.key', /certificate is not yet valid/],
    ['bad-wrong-host-chain.pem', 'bad-wrong-host.key', /Hostname mismatch|hostname mismatch/],
    ['bad-self-signed.pem', 'bad-self-signed.key', /self.signed certificate/],
    ['bad-untrusted-chain.pem', 'bad-untrusted.key', /unable to get local issuer certificate/],
    ['bad-missing-intermediate.pem', 'bad-missing-intermediate.key', /unable to get local issuer certificate/],
  ];
  for (const [chain, key, reason] of cases) {
    const { listener, port } = await serve(chain, key);
    try {
      for (const ctx of [secure, o.sslMakeClientContext('secure')]) {
        const { client, server } = await attempt(listener, port, ctx);
        close(client, server);
        assert.ok(o.isSslError(client), `${chain}: ${client}`);
        assert.match(client.message, /^sslConnect: connect failed \(/);
        assert.match(client.message, reason, chain);
        assert.equal(client.status, 'ssl');
        assert.equal(client.code, 'CERTIFICATE_VERIFY_FAILED');
        // The check happened inside the handshake: the server got an alert and its accept failed.
        assert.ok(o.isSslError(server), `${chain}: the server should have failed too`);
        assert.match(server.message, /^sslAccept: accept failed \(.*alert/);
      }
    } finally {
      await o.sslClose(listener);
    }
  }
});

test("a 'secure' client accepts RSA and ECDSA chains, by name and by IP literal (IP SAN)", async (t) => {
  const saved = o.sslDefaultVerifySources();
  t.after(() => o.sslDefaultVerifySources(saved));
  o.sslDefaultVerifySources([cert('root-ca.pem')]);
  for (const [chain, key] of [
    ['server-rsa-chain.pem', 'server-rsa.key'],
    ['server-ecdsa-chain.pem', 'server-ecdsa.key'],
  ]) {
    const { listener, port } = await serve(chain, key);
    try {
      for (const host of ['localhost', '127.0.0.1']) {
        for (const ctx of [o.sslSecureClientContext(), o.sslMakeClientContext('secure')]) {
          const { client, server } = await attempt(listener, port, ctx, host);
          assert.ok(isPorts(client) && isPorts(server), `${chain} via ${host}: ${client} / ${server}`);
          assert.equal(o.sslPeerVerified(client[0]), true);
          assert.equal(o.sslPeerVerified(client[1]), true);
          // Data flows both ways on the verified connection.
          client[1].write('ping');
          assert.equal((await readExactly(server[0], 4)).toString(), 'ping');
          server[1].write('pong');
          assert.equal((await readExactly(client[0], 4)).toString(), 'pong');
          close(client, server);
        }
      }
    } finally {
      await o.sslClose(listener);
    }
  }
  // The sni-example certificate has no IP address: 127.0.0.1 is an IP mismatch, not a DNS match.
  const { listener, port } = await serve('sni-example-chain.pem', 'sni-example.key');
  try {
    const { client, server } = await attempt(listener, port, o.sslSecureClientContext(), '127.0.0.1');
    close(client, server);
    assert.ok(o.isSslError(client), String(client));
    assert.match(client.message, /^sslConnect: connect failed \(.*IP address mismatch/);
    assert.ok(o.isSslError(server));
  } finally {
    await o.sslClose(listener);
  }
});

test('the cached secure context is the same sealed object until sslDefaultVerifySources changes', (t) => {
  const saved = o.sslDefaultVerifySources();
  t.after(() => o.sslDefaultVerifySources(saved));
  o.sslDefaultVerifySources([cert('root-ca.pem')]);
  const a = o.sslSecureClientContext();
  assert.equal(o.sslSecureClientContext(), a);
  assert.equal(o.sslMakeClientContext('secure'), a);
  assert.equal(o.isSslClientContext(a), true);
  assert.throws(() => o.sslSetVerify(a, false), (e) => o.isSslError(e) && /sealed/.test(e.message));
  o.sslDefaultVerifySources([cert('ca-bundle.pem')]);
  const b = o.sslSecureClientContext();
  assert.notEqual(b, a);
  assert.equal(o.sslSecureClientContext(), b);
  // Setting the sources again to an equal list is no change (Racket compares them with equal?).
  o.sslDefaultVerifySources([cert('ca-bundle.pem')]);
  assert.equal(o.sslSecureClientContext(), b);
  // Reading the parameter changes nothing.
  const c = o.sslSecureClientContext();
  o.sslDefaultVerifySources();
  assert.equal(o.sslSecureClientContext(), c);
});

test('a secure client with empty default sources trusts nothing', async (t) => {
  const saved = o.sslDefaultVerifySources();
  t.after(() => o.sslDefaultVerifySources(saved));
  o.sslDefaultVerifySources([]);
  const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key');
  try {
    const { client, server } = await attempt(listener, port, 'secure');
    close(client, server);
    assert.ok(o.isSslError(client), String(client));
    assert.match(client.message, /^sslConnect: connect failed \(.*unable to get local issuer certificate/);
  } finally {
    await o.sslClose(listener);
  }
});

test("sslConnect's host option names the certificate to verify when connecting to 127.0.0.1", async () => {
  const ctx = verifyingClient();
  const { listener, port } = await serve('sni-example-chain.pem', 'sni-example.key');
  try {
    for (const [host, ok] of [
      ['example.test', true],
      ['a.example.test', true],
      ['a.b.example.test', false],
      ['localhost', false],
      [undefined, false],
    ]) {
      const { client, server } = await attempt(listener, port, ctx, '127.0.0.1', host === undefined ? {} : { host });
      if (ok) {
        assert.ok(isPorts(client), `${host}: ${client}`);
        assert.equal(o.sslPeerVerified(client[0]), true);
        close(client, server);
      } else {
        close(client, server);
        assert.ok(o.isSslError(client), `${host} must be refused`);
        assert.match(client.message, /^sslConnect: connect failed \(.*([Hh]ostname|IP address) mismatch/, String(host));
        assert.ok(o.isSslError(server), `${host}: the server sees the alert`);
      }
    }
  } finally {
    await o.sslClose(listener);
  }
  // The wrong-host certificate is fine for the name it does carry.
  const wrong = await serve('bad-wrong-host-chain.pem', 'bad-wrong-host.key');
  try {
    const good = await attempt(wrong.listener, wrong.port, ctx, '127.0.0.1', { host: 'wrong.example' });
    close(good.client, good.server);
    assert.ok(isPorts(good.client), String(good.client));
    const bad = await attempt(wrong.listener, wrong.port, ctx, 'localhost');
    close(bad.client, bad.server);
    assert.match(bad.client.message, /Hostname mismatch|hostname mismatch/);
  } finally {
    await o.sslClose(wrong.listener);
  }
});

test('hostname verification alone (without chain verification) still checks the name in the handshake', async () => {
  const ctx = o.sslMakeClientContext();
  o.sslSetVerifyHostname(ctx, true);
  const { listener, port } = await serve('bad-wrong-host-chain.pem', 'bad-wrong-host.key');
  try {
    const bad = await attempt(listener, port, ctx, 'localhost');
    close(bad.client, bad.server);
    assert.ok(o.isSslError(bad.client), String(bad.client));
    assert.match(bad.client.message, /^sslConnect: connect failed \(.*(H|h)ostname mismatch/);
    assert.ok(o.isSslError(bad.server));
    // Without verification the same connection is made, unverified.
    const plain = await attempt(listener, port, o.sslMakeClientContext(), 'localhost');
    assert.ok(isPorts(plain.client));
    assert.equal(o.sslPeerVerified(plain.client[0]), false);
    close(plain.client, plain.server);
  } finally {
    await o.sslClose(listener);
  }
});

test('RSA-1024 and SHA-1 certificates are refused at the default security level', async () => {
  const ctx = verifyingClient();
  for (const [chain, key] of [
    ['bad-rsa1024-chain.pem', 'bad-rsa1024.key'],
    ['bad-sha1-chain.pem', 'bad-sha1.key'],
  ]) {
    // At security level 2 OpenSSL refuses to even load them ("ee key too small", "ca md too weak").
    assert.throws(
      () => o.sslMakeServerContext('auto', { certificateChain: cert(chain), privateKey: ['pem', cert(key)] }),
      (e) => o.isSslError(e) && /too small|too weak/.test(e.message),
    );
    // Served at security level 0, a level-2 client still refuses them.
    const server = o.sslMakeServerContext('auto');
    o.sslSetCiphers(server, 'DEFAULT:@SECLEVEL=0');
    o.sslLoadCertificateChain(server, cert(chain));
    o.sslLoadPrivateKey(server, cert(key), false);
    const listener = await o.sslListen(0, 5, false, '127.0.0.1', server);
    try {
      const { client, server: s } = await attempt(listener, o.sslListenerPort(listener), ctx);
      close(client, s);
      assert.ok(o.isSslError(client), `${chain} must be refused`);
      assert.match(client.message, /^sslConnect: connect failed \(.*too weak/);
    } finally {
      await o.sslClose(listener);
    }
  }
});

test("a 'secure' client refuses a server that offers only a cipher without encryption, which a willing client gets", async () => {
  // (badssl.com's null/rc4/3des hosts, on loopback: the test server offers NULL-SHA256 only.)
  const server = o.sslMakeServerContext('tls12', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  o.sslSetCiphers(server, 'NULL-SHA256:@SECLEVEL=0');
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', server);
  const saved = o.sslDefaultVerifySources();
  o.sslDefaultVerifySources([cert('root-ca.pem')]);
  try {
    const port = o.sslListenerPort(listener);
    for (const secure of [o.sslSecureClientContext(), o.sslMakeClientContext('secure')]) {
      const { client, server: s } = await attempt(listener, port, secure);
      close(client, s);
      assert.ok(o.isSslError(client), 'refused');
      assert.match(client.message, /^sslConnect: connect failed \(.*(handshake failure|no shared cipher|no ciphers available)/);
      assert.ok(o.isSslError(s));
    }
    // The server really does speak it: a client that asks for it connects, verified, unencrypted.
    const willing = verifyingClient('tls12');
    o.sslSetCiphers(willing, 'NULL-SHA256:@SECLEVEL=0');
    const { client, server: s } = await attempt(listener, port, willing);
    assert.ok(isPorts(client), String(client));
    assert.equal(o.sslCipherName(client[0]), 'NULL-SHA256');
    assert.equal(o.sslPeerVerified(client[0]), true);
    close(client, s);
  } finally {
    o.sslDefaultVerifySources(saved);
    await o.sslClose(listener);
  }
});

test('verification sources: file, hashed directory, missing, platform stores, try', () => {
  const ctx = o.sslMakeClientContext();
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslLoadVerifySource(ctx, ['directory', cert('ca-dir')]);
  assert.throws(() => o.sslLoadVerifySource(ctx, cert('nope.pem')), (e) => o.isSslError(e) && /^sslLoadVerifySource: /.test(e.message));
  assert.throws(() => o.sslLoadVerifySource(ctx, ['directory', cert('nope')]), (e) => o.isSslError(e) && /^sslLoadVerifySource: /.test(e.message));
  // A file is not a directory.
  assert.throws(() => o.sslLoadVerifySource(ctx, ['directory', cert('root-ca.pem')]), (e) => o.isSslError(e));
  assert.throws(() => o.sslLoadVerifySource(ctx, ['win32-store', 'ROOT']), (e) => o.isSslError(e) && /^sslLoadVerifySource: .*Windows/.test(e.message));
  assert.throws(() => o.sslLoadVerifySource(ctx, ['macosx-keychain', null]), (e) => o.isSslError(e) && /^sslLoadVerifySource: .*macOS/.test(e.message));
  for (const src of [cert('nope.pem'), ['directory', cert('nope')], ['win32-store', 'ROOT'], ['macosx-keychain', null]]) {
    assert.equal(o.sslLoadVerifySource(ctx, src, { try: true }), undefined);
  }
  // try does not hide a wrong argument.
  assert.throws(() => o.sslLoadVerifySource(ctx, ['bogus', 'x'], { try: true }), RangeError);
  assert.throws(() => o.sslLoadVerifySource(ctx, 42), TypeError);
  assert.throws(() => o.sslLoadVerifySource('ctx', cert('root-ca.pem')), TypeError);
  assert.throws(() => o.sslLoadVerifyRootCertificates(ctx, null, null), TypeError);
  assert.throws(() => o.sslLoadVerifyRootCertificates(ctx, cert('nope.pem')), (e) => o.isSslError(e));
});

test('hashed CA directories verify lazily, by sslLoadVerifySource and the Chicken form of sslLoadVerifyRootCertificates', async () => {
  const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key');
  try {
    const viaSource = o.sslMakeClientContext();
    o.sslLoadVerifySource(viaSource, ['directory', cert('ca-dir')]);
    const viaChicken = o.sslMakeClientContext();
    o.sslLoadVerifyRootCertificates(viaChicken, null, cert('ca-dir'));
    const viaFile = o.sslMakeClientContext();
    o.sslLoadVerifyRootCertificates(viaFile, cert('root-ca.pem'));
    const trustsNothing = o.sslMakeClientContext();
    for (const [name, ctx, ok] of [
      ['directory source', viaSource, true],
      ['Chicken (ctx, null, dir)', viaChicken, true],
      ['root file', viaFile, true],
      ['no source', trustsNothing, false],
    ]) {
      o.sslSetVerify(ctx, true);
      o.sslSetVerifyHostname(ctx, true);
      const { client, server } = await attempt(listener, port, ctx);
      if (ok) {
        assert.ok(isPorts(client), `${name}: ${client}`);
        assert.equal(o.sslPeerVerified(client[1]), true, name);
        close(client, server);
      } else {
        close(client, server);
        assert.ok(o.isSslError(client), name);
        assert.match(client.message, /unable to get local issuer certificate/);
      }
    }
  } finally {
    await o.sslClose(listener);
  }
});

test('mutual TLS: required client certificates, by options or by load procedures, verified on all four ports', async () => {
  for (const protocol of ['tls12', 'tls13']) {
    const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key', protocol, (ctx) => {
      o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
      o.sslSetVerify(ctx, true);
    });
    try {
      for (const how of ['options', 'load']) {
        const { client, server } = await attempt(listener, port, clientWithCert('auto', how));
        assert.ok(isPorts(client) && isPorts(server), `${protocol} ${how}: ${client} / ${server}`);
        // The client verified the server too.
        for (const p of [...client, ...server]) assert.equal(o.sslPeerVerified(p), true, `${protocol} ${how}`);
        assert.equal(o.sslPeerSubjectName(server[0]).toString(), '/C=US/ST=Racketa/O=openssl-ports tests/CN=client.example.com/emailAddress=client@example.com');
        client[1].write('hi');
        assert.equal((await readExactly(server[0], 2)).toString(), 'hi');
        close(client, server);
      }
      // Without a client certificate the server refuses.
      const { client, server } = await attempt(listener, port, o.sslMakeClientContext());
      assert.ok(o.isSslError(server), String(server));
      assert.match(server.message, /^sslAccept: accept failed \(.*peer did not return a certificate/);
      if (protocol === 'tls12') {
        // TLS 1.2: the alert arrives inside the client's handshake.
        assert.ok(o.isSslError(client), String(client));
        assert.match(client.message, /^sslConnect: connect failed \(.*handshake failure/);
      } else {
        // TLS 1.3: the client's handshake is over before the server sees the (missing) certificate;
        // the client learns of the failure on its first read.
        assert.ok(isPorts(client), String(client));
        await assert.rejects(readExactly(client[0], 1), (e) => {
          assert.ok(o.isSslError(e), String(e));
          assert.match(e.message, /read failed \(.*certificate required/);
          return true;
        });
        close(client);
      }
      // An untrusted (self-signed) client certificate is refused too.
      const untrusted = await attempt(listener, port, selfSignedClient());
      close(untrusted.client, untrusted.server);
      assert.ok(o.isSslError(untrusted.server));
      assert.match(untrusted.server.message, /^sslAccept: accept failed \(.*certificate verify failed/);
    } finally {
      await o.sslClose(listener);
    }
  }
});

test('sslTryVerify on a context: a client without a certificate is served, unverified', async () => {
  const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key', 'auto', (ctx) => {
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslTryVerify(ctx, true);
  });
  try {
    const a = await attempt(listener, port, o.sslMakeClientContext());
    assert.ok(isPorts(a.server), String(a.server));
    for (const p of a.server) {
      assert.equal(o.sslPeerVerified(p), false);
      assert.equal(o.sslPeerSubjectName(p), null);
    }
    a.client[1].write('x');
    assert.equal((await readExactly(a.server[0], 1)).toString(), 'x');
    close(a.client, a.server);
    // A self-signed client certificate is not trusted: still served, still unverified, names visible.
    const b = await attempt(listener, port, selfSignedClient());
    assert.ok(isPorts(b.server));
    assert.equal(o.sslPeerVerified(b.server[1]), false);
    assert.match(o.sslPeerSubjectName(b.server[1]).toString(), /CN=localhost/);
    close(b.client, b.server);
    const c = await attempt(listener, port, clientWithCert());
    assert.equal(o.sslPeerVerified(c.server[0]), true);
    assert.equal(o.sslPeerVerified(c.server[1]), true);
    close(c.client, c.server);
  } finally {
    await o.sslClose(listener);
  }
});

test('verification set on a listener applies to the connections it accepts', async () => {
  const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key', 'auto');
  try {
    o.sslLoadVerifyRootCertificates(listener, cert('root-ca.pem'));
    o.sslSetVerify(listener, true);
    const a = await attempt(listener, port, clientWithCert());
    assert.equal(o.sslPeerVerified(a.server[0]), true);
    close(a.client, a.server);
    const b = await attempt(listener, port, o.sslMakeClientContext());
    close(b.client, b.server);
    assert.ok(o.isSslError(b.server));
  } finally {
    await o.sslClose(listener);
  }
});

for (const protocol of ['tls12', 'tls13']) {
  test(`${protocol}: verification requested later on the live port (${protocol === 'tls12' ? 'renegotiation' : 'post-handshake auth'})`, async () => {
    const { listener, port } = await serve('server-rsa-chain.pem', 'server-rsa.key', protocol, (ctx) => o.sslLoadVerifySource(ctx, cert('root-ca.pem')));
    const scenario = async (clientCtx, fn) => {
      const { client, server } = await attempt(listener, port, clientCtx);
      assert.ok(isPorts(client) && isPorts(server), `${client} ${server}`);
      const [cin, cout] = client;
      const [sin, sout] = server;
      try {
        assert.equal(o.sslProtocolVersion(sin), protocol);
        assert.equal(o.sslPeerVerified(sin), false);
        assert.equal(o.sslPeerSubjectName(sin), null);
        // The client keeps reading so that the exchange progresses; the server writes after verifying.
        const clientRead = readExactly(cin, 2).catch((e) => e);
        const result = await fn(sin).then(
          () => 'ok',
          (e) => e,
        );
        if (result === 'ok') sout.write('ok');
        const got = await clientRead;
        const after =
          result === 'ok'
            ? { verified: [o.sslPeerVerified(sin), o.sslPeerVerified(sout)], subject: o.sslPeerSubjectName(sout)?.toString() ?? null }
            : null;
        return { result, got, after };
      } finally {
        close([cin, cout], [sin, sout]);
      }
    };
    try {
      const good = await scenario(clientWithCert('auto'), (p) => o.sslSetVerify(p, true));
      assert.equal(good.result, 'ok');
      assert.deepEqual(good.after.verified, [true, true]);
      assert.match(good.after.subject, /CN=client\.example\.com/);
      assert.equal(good.got.toString(), 'ok');

      const missing = await scenario(o.sslMakeClientContext(), (p) => o.sslSetVerify(p, true));
      assert.ok(o.isSslError(missing.result), String(missing.result));
      assert.match(missing.result.message, /^sslSetVerify: failed \(.*peer did not return a certificate/);
      // The server's alert ends the client's connection: its pending read fails.
      assert.ok(o.isSslError(missing.got), String(missing.got));
      assert.match(missing.got.message, /read failed \(.*alert/);

      const untrusted = await scenario(selfSignedClient(), (p) => o.sslSetVerify(p, true));
      assert.ok(o.isSslError(untrusted.result), String(untrusted.result));
      assert.match(untrusted.result.message, /^sslSetVerify: failed \(.*certificate verify failed/);
      assert.ok(o.isSslError(untrusted.got), String(untrusted.got));

      const tried = await scenario(o.sslMakeClientContext(), (p) => o.sslTryVerify(p, true));
      assert.equal(tried.result, 'ok', String(tried.result));
      assert.deepEqual(tried.after.verified, [false, false]);
      assert.equal(tried.after.subject, null);
      assert.equal(tried.got.toString(), 'ok');

      const triedBad = await scenario(selfSignedClient(), (p) => o.sslTryVerify(p, true));
      assert.equal(triedBad.result, 'ok', String(triedBad.result));
      assert.deepEqual(triedBad.after.verified, [false, false]);
      assert.match(triedBad.after.subject, /CN=localhost/);

      const triedGood = await scenario(clientWithCert('auto', 'load'), (p) => o.sslTryVerify(p, true));
      assert.equal(triedGood.result, 'ok', String(triedGood.result));
      assert.deepEqual(triedGood.after.verified, [true, true]);
    } finally {
      await o.sslClose(listener);
    }
  });
}

test('suggested CA names go out in the CertificateRequest without becoming trusted', async () => {
  const sClient = (port, flag) =>
    run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, flag, '-cert', cert('bad-untrusted.pem'), '-key', cert('bad-untrusted.key')], { input: '' });
  for (const flag of ['-tls1_2', '-tls1_3']) {
    // Required verification: the client's certificate is issued by the suggested CA, which is not trusted.
    const req = await serve('server-rsa-chain.pem', 'server-rsa.key', 'auto', (ctx) => {
      o.sslLoadSuggestedCertificateAuthorities(ctx, cert('untrusted-ca.pem'));
      o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
      o.sslSetVerify(ctx, true);
    });
    try {
      const accepted = o.sslAccept(req.listener).catch((e) => e);
      const r = await sClient(req.port, flag);
      const text = r.stdout.toString();
      assert.match(text, /Acceptable client certificate CA names\s*\n\s*C = US, O = Nobody, CN = Untrusted Root CA\s*\n/, flag);
      // The trusted root is not advertised: only the suggested names are.
      assert.doesNotMatch(text, /Acceptable client certificate CA names\s*\n[^\n]*Test Root CA/);
      const server = await accepted;
      close(server);
      assert.ok(o.isSslError(server), `${flag}: suggested must not mean trusted`);
      assert.match(server.message, /^sslAccept: accept failed \(.*certificate verify failed/);
    } finally {
      await o.sslClose(req.listener);
    }
    // Tried verification: the connection is made, unverified.
    const tried = await serve('server-rsa-chain.pem', 'server-rsa.key', 'auto', (ctx) => {
      o.sslLoadSuggestedCertificateAuthorities(ctx, cert('untrusted-ca.pem'));
      o.sslTryVerify(ctx, true);
    });
    try {
      const accepted = o.sslAccept(tried.listener).catch((e) => e);
      const r = await sClient(tried.port, flag);
      assert.match(r.stdout.toString(), /Acceptable client certificate CA names\s*\n\s*C = US, O = Nobody, CN = Untrusted Root CA/);
      const server = await accepted;
      assert.ok(isPorts(server), String(server));
      assert.equal(o.sslPeerVerified(server[0]), false);
      assert.match(o.sslPeerIssuerName(server[0]).toString(), /CN=Untrusted Root CA/);
      close(server);
    } finally {
      await o.sslClose(tried.listener);
    }
  }
  // Without suggestions no names are sent, even though the server trusts root-ca.
  const plain = await serve('server-rsa-chain.pem', 'server-rsa.key', 'auto', (ctx) => {
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslTryVerify(ctx, true);
  });
  try {
    const accepted = o.sslAccept(plain.listener).catch((e) => e);
    const r = await sClient(plain.port, '-tls1_3');
    assert.match(r.stdout.toString(), /No client certificate CA names sent/);
    close(await accepted);
  } finally {
    await o.sslClose(plain.listener);
  }
  assert.throws(() => o.sslLoadSuggestedCertificateAuthorities(o.sslMakeServerContext(), cert('nope.pem')), (e) => o.isSslError(e));
});
