// Contexts: protocol symbols, sealing, argument errors, deprecated no-ops, ephemeral key exchange.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as o from '../dist/index.js';
import { cert, limitedPipePair, readExactly, readAll } from './support/helpers.mjs';

test('protocol symbols: supported lists, maximums, refusals, aliases', () => {
  const all = ['secure', 'auto', 'sslv2-or-v3', 'tls', 'tls11', 'tls12', 'tls13'];
  assert.deepEqual(o.supportedClientProtocols(), all);
  assert.deepEqual(o.supportedServerProtocols(), all);
  assert.equal(o.sslMaxClientProtocol(), 'tls13');
  assert.equal(o.sslMaxServerProtocol(), 'tls13');
  for (const p of ['sslv2', 'sslv3']) {
    assert.throws(() => o.sslMakeClientContext(p), (e) => o.isSslError(e) && /not supported/.test(e.message) && e.code === 'ERR_SSL_UNSUPPORTED_PROTOCOL');
    assert.throws(() => o.sslMakeServerContext(p), (e) => o.isSslError(e));
  }
  for (const p of ['auto', 'sslv2-or-v3', 'tls', 'tls11', 'tls12', 'tls13']) {
    assert.equal(o.isSslClientContext(o.sslMakeClientContext(p)), true);
    assert.equal(o.isSslServerContext(o.sslMakeServerContext(p)), true);
  }
  assert.equal(o.sslMakeClientContext('secure'), o.sslSecureClientContext());
  assert.equal(o.isSslServerContext(o.sslMakeServerContext('secure')), true);
  assert.equal(o.isSslClientContext(o.sslMakeServerContext()), false);
  assert.equal(o.isSslServerContext({}), false);
  assert.throws(() => o.sslMakeClientContext('tls14'), RangeError);
  assert.throws(() => o.sslMakeClientContext(12), TypeError);
  assert.throws(() => o.sslMakeClientContext('auto', { privateKey: ['pem'] }), TypeError);
  assert.throws(() => o.sslMakeClientContext('auto', { privateKey: ['pgp', 'x'] }), RangeError);
  assert.throws(() => o.sslMakeClientContext('auto', { certificateChain: cert('nope.pem') }), (e) => o.isSslError(e) && /sslMakeClientContext: cannot load certificate chain/.test(e.message));
});

test("the deprecated 'tls' (TLS 1.0) and 'tls11' symbols still connect, at security level 0", async () => {
  for (const p of ['tls', 'tls11']) {
    const { a, b } = limitedPipePair(1 << 16);
    const server = o.sslMakeServerContext(p);
    o.sslLoadCertificateChain(server, cert('test.pem'));
    o.sslLoadPrivateKey(server, cert('test.pem'));
    const [[sin, sout], [cin, cout]] = await Promise.all([
      o.portsToSslPorts(b.input, b.output, { mode: 'accept', context: server }),
      o.portsToSslPorts(a.input, a.output, { mode: 'connect', encrypt: p }),
    ]);
    assert.equal(o.sslProtocolVersion(cin), p);
    cout.write('old');
    assert.equal((await readExactly(sin, 3)).toString(), 'old');
    for (const x of [sin, sout, cin, cout]) x.destroy();
  }
});

test('a sealed context refuses every mutator', () => {
  const client = o.sslMakeClientContext();
  const server = o.sslMakeServerContext();
  o.sslSealContext(client);
  o.sslSealContext(server);
  const sealed = (e) => o.isSslError(e) && /sealed/.test(e.message) && e.code === 'ERR_SSL_SEALED';
  const mutators = [
    () => o.sslLoadCertificateChain(client, cert('test.pem')),
    () => o.sslLoadPrivateKey(client, cert('test.pem')),
    () => o.sslLoadVerifySource(client, cert('root-ca.pem')),
    () => o.sslLoadDefaultVerifySources(client),
    () => o.sslLoadVerifyRootCertificates(client, cert('root-ca.pem')),
    () => o.sslLoadSuggestedCertificateAuthorities(server, cert('root-ca.pem')),
    () => o.sslSetCiphers(client, 'DEFAULT'),
    () => o.sslSetVerify(client, true),
    () => o.sslTryVerify(client, true),
    () => o.sslSetVerifyHostname(client, true),
    () => o.sslSetServerAlpn(server, [Buffer.from('x')]),
    () => o.sslSetKeylogger(client, () => {}),
    () => o.sslSetServerNameIdentificationCallback(server, () => null),
  ];
  for (const m of mutators) assert.throws(m, sealed, m.toString());
  assert.throws(() => o.sslSetVerify(o.sslSecureClientContext(), false), sealed);
});

test('loading keys: data form, rsa skipping, asn1, bad data', () => {
  const ctx = o.sslMakeServerContext();
  o.sslLoadPrivateKey(ctx, ['data', readFileSync(cert('test.pem'))]);
  o.sslLoadPrivateKey(ctx, ['data', new Uint8Array(readFileSync(cert('server-rsa.key')))]);
  // rsa = true (the default) skips non-RSA keys: an EC key file has none.
  assert.throws(() => o.sslLoadPrivateKey(ctx, cert('server-ecdsa.key')), (e) => o.isSslError(e) && /no RSA private key/.test(e.message));
  o.sslLoadPrivateKey(ctx, cert('server-ecdsa.key'), false);
  assert.throws(() => o.sslLoadPrivateKey(ctx, ['data', Buffer.from('-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n')]), (e) => o.isSslError(e));
  assert.throws(() => o.sslLoadPrivateKey(ctx, ['data', Buffer.from('x')], true, true), RangeError);
  assert.throws(() => o.sslLoadPrivateKey(ctx, cert('server-rsa.key'), true, true), (e) => o.isSslError(e), 'PEM is not DER');
  assert.throws(() => o.sslLoadPrivateKey(ctx, cert('missing.key')), (e) => o.isSslError(e) && e.code === 'ENOENT');
  assert.throws(() => o.sslLoadPrivateKey(ctx, 42), TypeError);
  assert.throws(() => o.sslLoadCertificateChain(ctx, cert('server-rsa.key')), (e) => o.isSslError(e) && /^sslLoadCertificateChain: /.test(e.message));
});

test('deprecated DHE/ECDH settings warn once and do nothing; ephemeral key exchange works without them', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w.code);
  process.on('warning', onWarning);
  const server = o.sslMakeServerContext('tls12');
  o.sslServerContextEnableDhe(server);
  o.sslServerContextEnableDhe(server, o.sslDh4096ParamBytes);
  o.sslServerContextEnableEcdh(server, 'secp256r1');
  o.sslServerContextEnableEcdhe(server);
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.deepEqual(warnings.filter((c) => c === 'OPENSSL_PORTS_DEPRECATED').length, 3);
  assert.equal(o.sslDh4096ParamBytes.length, 0);
  assert.throws(() => o.sslServerContextEnableDhe(o.sslMakeClientContext()), TypeError);
  for (const cipher of ['DHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA256']) {
    const { a, b } = limitedPipePair(10);
    const sctx = o.sslMakeServerContext('tls12');
    o.sslLoadCertificateChain(sctx, cert('test.pem'));
    o.sslLoadPrivateKey(sctx, cert('test.pem'));
    const cctx = o.sslMakeClientContext('tls12');
    o.sslSetCiphers(cctx, cipher);
    const [[sin, sout], [cin, cout]] = await Promise.all([
      o.portsToSslPorts(b.input, b.output, { mode: 'accept', context: sctx }),
      o.portsToSslPorts(a.input, a.output, { mode: 'connect', context: cctx, shutdownOnClose: true }),
    ]);
    assert.equal(o.sslCipherName(cin), cipher);
    cout.end('12345');
    assert.equal((await readAll(sin)).toString(), '12345');
    for (const x of [sin, sout, cin, cout]) x.destroy();
  }
  assert.throws(() => o.sslSetCiphers(o.sslMakeClientContext(), 'NO-SUCH-CIPHER'), (e) => o.isSslError(e) && /no cipher matches/.test(e.message));
});

test('sslDefaultVerifySources follows SSL_CERT_FILE / SSL_CERT_DIR and validates what it is given', () => {
  const saved = o.sslDefaultVerifySources();
  assert.ok(Array.isArray(saved));
  o.sslDefaultVerifySources([cert('root-ca.pem'), ['directory', cert('ca-dir')]]);
  assert.deepEqual(o.sslDefaultVerifySources(), [cert('root-ca.pem'), ['directory', cert('ca-dir')]]);
  assert.throws(() => o.sslDefaultVerifySources('x'), TypeError);
  assert.throws(() => o.sslDefaultVerifySources([42]), TypeError);
  o.sslDefaultVerifySources(saved);
  if (process.env.SSL_CERT_FILE) assert.ok(saved.includes(process.env.SSL_CERT_FILE));
});
