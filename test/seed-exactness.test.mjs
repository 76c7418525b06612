// Issue 16: the seed rows that did not behave as the seeds (and the reference implementation) say,
// each checked over real loopback TLS with OpenSSL on both ends (or in a child process where the
// row is about the environment the library starts in).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { cert, run, startSServer, PassThrough } from './support/helpers.mjs';

const dist = (f) => JSON.stringify(new URL(`../dist/${f}`, import.meta.url).href);

/** Runs an ES module snippet in a child with `env` changes (undefined deletes); resolves its JSON output. */
async function child(script, env = {}) {
  const e = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete e[k];
    else e[k] = v;
  }
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: e });
  assert.equal(r.code, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

// ---- default verify sources (000 §4) ----

test('default verify sources: SSL_CERT_FILE and SSL_CERT_DIR each replace only their own default', async () => {
  const script = `import { sslDefaultVerifySources } from ${dist('index.js')}; console.log(JSON.stringify(sslDefaultVerifySources()));`;
  const none = await child(script, { SSL_CERT_FILE: undefined, SSL_CERT_DIR: undefined });
  // OpenSSL's own defaults come first: its file, then its directory.
  const [defFile, defDir] = none;
  assert.equal(typeof defFile, 'string');
  assert.equal(defDir[0], 'directory');
  const onlyFile = await child(script, { SSL_CERT_FILE: cert('root-ca.pem'), SSL_CERT_DIR: undefined });
  assert.deepEqual(onlyFile, [cert('root-ca.pem'), defDir]);
  const onlyDir = await child(script, { SSL_CERT_FILE: undefined, SSL_CERT_DIR: `${cert('ca-dir')}:/nonexistent-dir` });
  assert.deepEqual(onlyDir, [defFile, ['directory', cert('ca-dir')], ['directory', '/nonexistent-dir']]);
  const both = await child(script, { SSL_CERT_FILE: cert('root-ca.pem'), SSL_CERT_DIR: cert('ca-dir') });
  assert.deepEqual(both, [cert('root-ca.pem'), ['directory', cert('ca-dir')]]);
  // Set but empty: no source of that kind (OpenSSL would try to load '' and fail).
  const emptyFile = await child(script, { SSL_CERT_FILE: '', SSL_CERT_DIR: cert('ca-dir') });
  assert.deepEqual(emptyFile, [['directory', cert('ca-dir')]]);
});

test('default verify sources: with only SSL_CERT_DIR set, a secure client trusts that directory', async () => {
  const script = `
    import * as o from ${dist('index.js')};
    const ctx = o.sslMakeServerContext('auto', { certificateChain: ${JSON.stringify(cert('server-rsa-chain.pem'))}, privateKey: ['pem', ${JSON.stringify(cert('server-rsa.key'))}] });
    const l = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
    const accepted = o.sslAccept(l).catch((e) => e);
    const r = await o.sslConnect('localhost', o.sslListenerPort(l), 'secure').then((p) => { const v = o.sslPeerVerified(p[0]); p[0].destroy(); p[1].destroy(); return v; }, (e) => e.message);
    const s = await accepted; if (Array.isArray(s)) s.forEach((p) => p.destroy());
    await o.sslClose(l);
    console.log(JSON.stringify(r));`;
  assert.equal(await child(script, { SSL_CERT_FILE: undefined, SSL_CERT_DIR: cert('ca-dir') }), true);
});

// ---- sslSecureClientContext's cache (000 §1) ----

/** A listener on 127.0.0.1 with the server-rsa identity (or `ctx`). */
async function serve(ctx = serverCtx()) {
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  return { listener, port: o.sslListenerPort(listener) };
}
const serverCtx = (protocol = 'auto', name = 'server-rsa') =>
  o.sslMakeServerContext(protocol, { certificateChain: cert(`${name}-chain.pem`), privateKey: ['pem', cert(`${name}.key`)] });
const closeAll = (...sides) => {
  for (const s of sides) if (Array.isArray(s)) for (const p of s) p.destroy();
};

/** sslConnect + sslAccept; resolves { client, server }, each the ports or the error. */
async function attempt(listener, port, clientCtx, host = 'localhost', options = {}) {
  const accepted = o.sslAccept(listener).catch((e) => e);
  const client = await o.sslConnect(host, port, clientCtx, options).catch((e) => e);
  return { client, server: await accepted };
}

test('sslSecureClientContext: an equal list of default sources keeps the cached context (equal?)', async (t) => {
  const saved = o.sslDefaultVerifySources();
  t.after(() => o.sslDefaultVerifySources(saved));
  o.sslDefaultVerifySources([cert('root-ca.pem'), ['directory', cert('ca-dir')]]);
  const a = o.sslSecureClientContext();
  o.sslDefaultVerifySources([cert('root-ca.pem'), ['directory', cert('ca-dir')]]); // a new, equal list
  assert.equal(o.sslSecureClientContext(), a);
  assert.equal(o.sslMakeClientContext('secure'), a);
  o.sslDefaultVerifySources([cert('root-ca.pem')]);
  const b = o.sslSecureClientContext();
  assert.notEqual(b, a);
  // The cached context really trusts the sources it was made with.
  const { listener, port } = await serve();
  try {
    const r = await attempt(listener, port, b);
    assert.ok(Array.isArray(r.client), String(r.client));
    assert.equal(o.sslPeerVerified(r.client[0]), true);
    closeAll(r.client, r.server);
  } finally {
    await o.sslClose(listener);
  }
});

// ---- sslPeerVerified without verification requested (000 §5) ----

test('sslPeerVerified: a valid chain counts as verified although verification was not requested', async () => {
  const { listener, port } = await serve();
  try {
    const trusting = o.sslMakeClientContext('auto');
    o.sslLoadVerifySource(trusting, cert('root-ca.pem')); // trusted roots, no sslSetVerify
    const good = await attempt(listener, port, trusting);
    assert.ok(Array.isArray(good.client), String(good.client));
    for (const p of good.client) assert.equal(o.sslPeerVerified(p), true);
    // The server did not ask for a certificate: nothing to verify on its side.
    for (const p of good.server) assert.equal(o.sslPeerVerified(p), false);
    closeAll(good.client, good.server);
    // Without trusted roots the same chain does not verify.
    const blind = await attempt(listener, port, o.sslMakeClientContext('auto'));
    for (const p of blind.client) assert.equal(o.sslPeerVerified(p), false);
    closeAll(blind.client, blind.server);
  } finally {
    await o.sslClose(listener);
  }
  // An untrusted chain with roots loaded but no verification: connected, not verified.
  const bad = await serve(o.sslMakeServerContext('auto', { certificateChain: cert('bad-untrusted-chain.pem'), privateKey: ['pem', cert('bad-untrusted.key')] }));
  try {
    const ctx = o.sslMakeClientContext('auto');
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    const r = await attempt(bad.listener, bad.port, ctx);
    assert.ok(Array.isArray(r.client), String(r.client));
    assert.equal(o.sslPeerVerified(r.client[0]), false);
    closeAll(r.client, r.server);
  } finally {
    await o.sslClose(bad.listener);
  }
});

// ---- integer arguments: TypeError for a wrong type, RangeError for a wrong value (API.md) ----

test('integer arguments: a non-number is a TypeError, a number out of range or not whole a RangeError', async () => {
  const named = (cls, who, arg) => (e) => e instanceof cls && e.message.startsWith(`${who}: ${arg} `);
  // The case: a negative backlog is a wrong value, not a wrong type.
  await assert.rejects(o.sslListen(0, -1), named(RangeError, 'sslListen', 'queueK'));
  await assert.rejects(o.sslListen(0, 1.5), named(RangeError, 'sslListen', 'queueK'));
  await assert.rejects(o.sslListen(0, NaN), named(RangeError, 'sslListen', 'queueK'));
  await assert.rejects(o.sslListen(0, '5'), named(TypeError, 'sslListen', 'queueK'));
  await assert.rejects(o.sslListen(-1), named(RangeError, 'sslListen', 'portNo'));
  await assert.rejects(o.sslListen(65536), named(RangeError, 'sslListen', 'portNo'));
  await assert.rejects(o.sslListen(80.5), named(RangeError, 'sslListen', 'portNo'));
  await assert.rejects(o.sslListen(null), named(TypeError, 'sslListen', 'portNo'));
  await assert.rejects(o.sslConnect('localhost', 0), named(RangeError, 'sslConnect', 'portNo'));
  await assert.rejects(o.sslConnect('localhost', 443.5), named(RangeError, 'sslConnect', 'portNo'));
  await assert.rejects(o.sslConnect('localhost', Infinity), named(RangeError, 'sslConnect', 'portNo'));
  await assert.rejects(o.sslConnect('localhost', '443'), named(TypeError, 'sslConnect', 'portNo'));
  await assert.rejects(o.sslConnect('localhost:70000'), named(RangeError, 'sslConnect', 'portNo'));
  assert.throws(() => o.makeClientSslContext(0x0305), named(RangeError, 'makeClientSslContext', 'minProtocolVersion'));
  assert.throws(() => o.makeClientSslContext({}), named(TypeError, 'makeClientSslContext', 'minProtocolVersion'));
  // In range, they work: a backlog of 0 and port 0 listen, and a connection is made.
  const listener = await o.sslListen(0, 0, false, '127.0.0.1', serverCtx());
  try {
    const r = await attempt(listener, o.sslListenerPort(listener), 'auto');
    assert.ok(Array.isArray(r.client), String(r.client));
    closeAll(r.client, r.server);
  } finally {
    await o.sslClose(listener);
  }
});

// ---- sslLoadPrivateKey's rsa? with asn1? (000 §4) ----

test('sslLoadPrivateKey(ctx, derFile, rsa = true, asn1 = true) refuses an EC key and loads an RSA one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openssl-ports-der-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const der = async (name) => {
    const out = join(dir, `${name}.der`);
    const r = await run('openssl', ['pkey', '-in', cert(`${name}.key`), '-outform', 'DER', '-out', out]);
    assert.equal(r.code, 0, r.stderr.toString());
    return out;
  };
  const ecDer = await der('server-ecdsa');
  const rsaDer = await der('server-rsa');
  const ec = o.sslMakeServerContext();
  o.sslLoadCertificateChain(ec, cert('server-ecdsa-chain.pem'));
  assert.throws(
    () => o.sslLoadPrivateKey(ec, ecDer, true, true),
    (e) => o.isSslError(e) && e.message.startsWith(`sslLoadPrivateKey: no RSA private key found in ${ecDer}`) && e.code === 'ERR_SSL_NO_RSA_KEY',
  );
  // rsa = false loads it, and the context serves with it.
  o.sslLoadPrivateKey(ec, ecDer, false, true);
  const rsa = o.sslMakeServerContext();
  o.sslLoadCertificateChain(rsa, cert('server-rsa-chain.pem'));
  o.sslLoadPrivateKey(rsa, rsaDer, true, true);
  for (const [ctx, keyType] of [[ec, 'EC'], [rsa, 'RSA']]) {
    const { listener, port } = await serve(ctx);
    try {
      const r = await attempt(listener, port, 'auto');
      assert.ok(Array.isArray(r.client), String(r.client));
      assert.equal(o.sslPeerCertificate(r.client[0]).publicKey.asymmetricKeyType.toUpperCase(), keyType);
      closeAll(r.client, r.server);
    } finally {
      await o.sslClose(listener);
    }
  }
  // The PEM path with rsa = true: a file whose only key is EC has no RSA key to use (unchanged),
  // and one with an EC key followed by an RSA key loads the RSA key (the seed: non-RSA keys are skipped).
  assert.throws(() => o.sslLoadPrivateKey(o.sslMakeServerContext(), cert('server-ecdsa.key')), (e) => o.isSslError(e) && /no RSA private key/.test(e.message));
  const mixed = join(dir, 'ec-then-rsa.pem');
  writeFileSync(mixed, Buffer.concat([readFileSync(cert('server-ecdsa.key')), readFileSync(cert('server-rsa.key'))]));
  const skip = o.sslMakeServerContext();
  o.sslLoadCertificateChain(skip, cert('server-rsa-chain.pem'));
  o.sslLoadPrivateKey(skip, mixed);
  const { listener, port } = await serve(skip);
  try {
    const r = await attempt(listener, port, 'auto');
    assert.ok(Array.isArray(r.client), String(r.client));
    closeAll(r.client, r.server);
  } finally {
    await o.sslClose(listener);
  }
});

// ---- peer names of unverified certificates (000 §5; Racket's implementation) ----

test('peer names come back for a certificate that was presented but not verified, null without one', async () => {
  const { listener, port } = await serve();
  try {
    const r = await attempt(listener, port, o.sslMakeClientContext('auto')); // no roots, no verification
    assert.ok(Array.isArray(r.client), String(r.client));
    for (const p of r.client) {
      assert.equal(o.sslPeerVerified(p), false);
      assert.equal(o.sslPeerSubjectName(p).toString(), '/C=US/O=openssl-ports tests/CN=localhost');
      assert.equal(o.sslPeerIssuerName(p).toString(), '/C=US/O=openssl-ports tests/CN=openssl-ports Test Intermediate CA');
    }
    // The client sent no certificate: no names on the server's side.
    for (const p of r.server) {
      assert.equal(o.sslPeerSubjectName(p), null);
      assert.equal(o.sslPeerIssuerName(p), null);
    }
    closeAll(r.client, r.server);
  } finally {
    await o.sslClose(listener);
  }
});

// ---- errors name the procedure that was called ----

test('without OpenSSL, each procedure fails under its own name, also when it delegates', async () => {
  const script = `
    import * as o from ${dist('index.js')};
    import { PassThrough } from 'node:stream';
    const out = {};
    const sync = { supportedClientProtocols: () => o.supportedClientProtocols(), supportedServerProtocols: () => o.supportedServerProtocols(),
      sslMaxClientProtocol: () => o.sslMaxClientProtocol(), sslMaxServerProtocol: () => o.sslMaxServerProtocol(),
      sslSecureClientContext: () => o.sslSecureClientContext(), defaultClientSslContext: () => o.defaultClientSslContext(),
      sslMakeClientContext: () => o.sslMakeClientContext('secure'), makeClientSslContext: () => o.makeClientSslContext() };
    for (const [k, f] of Object.entries(sync)) { try { f(); out[k] = 'no error'; } catch (e) { out[k] = e.message; } }
    out.sslConnect = await o.sslConnect('localhost', 1, 'secure').then(() => 'no error', (e) => e.message);
    out.sslClientUpgrade = await o.sslClientUpgrade(new PassThrough()).then(() => 'no error', (e) => e.message);
    console.log(JSON.stringify({ available: o.sslAvailable, out }));`;
  const r = await child(script, { OPENSSL_PORTS_LIB: 'bogus' });
  assert.equal(r.available, false);
  for (const [who, message] of Object.entries(r.out)) {
    assert.ok(message.startsWith(`${who}: OpenSSL is not available`), `${who}: ${message}`);
  }
});

test('makeServerSslContext: a missing certificate or key fails under its own name, the inner error as cause', () => {
  const missing = cert('missing-chain.pem');
  assert.throws(
    () => o.makeServerSslContext(missing, cert('server-rsa.key')),
    (e) =>
      o.isSslError(e) &&
      e.message.startsWith(`makeServerSslContext: cannot load certificate chain from ${missing}`) &&
      e.status === 'ssl' &&
      o.isSslError(e.cause) &&
      e.cause.message.startsWith('sslLoadCertificateChain: '),
  );
  assert.throws(
    () => o.makeServerSslContext(cert('server-rsa-chain.pem'), cert('missing.key')),
    (e) => o.isSslError(e) && e.message.startsWith('makeServerSslContext: cannot read ') && e.code === 'ENOENT' && e.cause.message.startsWith('sslLoadPrivateKey: '),
  );
});

test('a failed sslSetVerify on a live TLS 1.2 client port rejects as sslSetVerify, while the input is being read', async () => {
  // A server that lets the client renegotiate (OpenSSL 3 servers refuse it unless told otherwise).
  const server = await startSServer(['-tls1_2', '-client_renegotiation', '-cert', cert('server-rsa-chain.pem'), '-key', cert('server-rsa.key')]);
  try {
    for (const reading of [true, false]) {
      const [cin, cout] = await o.sslConnect('127.0.0.1', server.port, o.sslMakeClientContext('tls12')); // trusts nothing
      cin.on('error', () => {});
      cout.on('error', () => {});
      if (reading) cin.resume(); // the connection's own read loop meets the renegotiation's failure
      await assert.rejects(o.sslSetVerify(cin, true), (e) => {
        assert.ok(o.isSslError(e), String(e));
        assert.match(e.message, /^sslSetVerify: failed \(.*certificate verify failed/);
        return true;
      });
      cin.destroy();
      cout.destroy();
    }
  } finally {
    server.kill();
  }
});

// ---- portsToSslPorts's `error` option converts every communication error (000 §3) ----

class WireError extends Error {}

/**
 * A client and a server over in-memory streams; the server→client direction goes through `tap`, so
 * the test can corrupt or cut records after the handshake. The client converts its errors.
 */
async function wrappedPair(clientOptions = {}) {
  const c2s = new PassThrough();
  const s2cRaw = new PassThrough();
  const s2c = new PassThrough();
  const tap = { corrupt: false };
  s2cRaw.on('data', (chunk) => {
    if (tap.corrupt) {
      chunk = Buffer.from(chunk);
      chunk[chunk.length - 1] ^= 0xff; // the record's authentication tag
    }
    s2c.write(chunk);
  });
  const converted = [];
  const error = (e) => {
    converted.push(e);
    return new WireError(`wire: ${e.message}`, { cause: e });
  };
  const server = o.portsToSslPorts(c2s, s2cRaw, { mode: 'accept', context: serverCtx() });
  const client = o.portsToSslPorts(s2c, c2s, { mode: 'connect', error, ...clientOptions });
  server.catch(() => {});
  const [cin, cout] = await client; // a failed handshake rejects here, converted
  const [sin, sout] = await server;
  return { sin, sout, cin, cout, tap, converted, s2c };
}

test("portsToSslPorts's error option converts a bad record after the handshake", async () => {
  const p = await wrappedPair();
  p.sin.on('error', () => {});
  p.sout.on('error', () => {});
  // Data flows normally first.
  p.sout.write('hello');
  const [first] = await once(p.cin, 'data');
  assert.equal(first.toString(), 'hello');
  p.tap.corrupt = true;
  const failed = once(p.cin, 'error');
  p.sout.write('tampered');
  const [e] = await failed;
  assert.ok(e instanceof WireError, String(e));
  assert.ok(o.isSslError(e.cause));
  assert.match(e.cause.message, /^portsToSslPorts: read failed \(.*(bad record mac|decryption failed)/);
  assert.equal(p.converted.length, 1);
  for (const s of [p.sin, p.sout, p.cin, p.cout]) s.destroy();
});

test("portsToSslPorts's error option converts a reset of the transport, and a handshake failure", async () => {
  const p = await wrappedPair();
  p.sin.on('error', () => {});
  p.sout.on('error', () => {});
  const failed = once(p.cin, 'error');
  p.s2c.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  const [e] = await failed;
  assert.ok(e instanceof WireError, String(e));
  assert.equal(e.cause.code, 'ECONNRESET');
  assert.match(e.cause.message, /^portsToSslPorts: connection lost/);
  for (const s of [p.sin, p.sout, p.cin, p.cout]) s.destroy();
  // A handshake that fails (the client requires a certificate it cannot verify) rejects converted.
  const strict = o.sslMakeClientContext('auto');
  o.sslSetVerify(strict, true);
  await assert.rejects(wrappedPair({ context: strict }), (err) => err instanceof WireError && /connect failed/.test(err.cause.message));
});

// ---- sslSetVerifyHostname on a server context (000 §5; Racket's wrap-ports) ----

/** A TCP server that wraps its one connection with portsToSslPorts in accept mode; the client connects with `clientCtx`. */
async function wrappedAccept(serverContext, hostname, clientCtx) {
  const tcp = createServer();
  await new Promise((r) => tcp.listen(0, '127.0.0.1', r));
  const accepted = new Promise((resolve) =>
    tcp.once('connection', (sock) => {
      sock.on('error', () => {});
      resolve(o.portsToSslPorts(sock, sock, { mode: 'accept', context: serverContext, hostname, closeOriginal: true }).catch((e) => e));
    }),
  );
  try {
    const client = await o.sslConnect('127.0.0.1', tcp.address().port, clientCtx).catch((e) => e);
    return { client, server: await accepted };
  } finally {
    tcp.close();
  }
}
const clientWithCert = (protocol = 'auto') => o.sslMakeClientContext(protocol, { privateKey: ['pem', cert('client.key')], certificateChain: cert('client-chain.pem') });
function hostnameCheckingServer() {
  const ctx = serverCtx();
  o.sslSetVerifyHostname(ctx, true);
  return ctx;
}

test('sslSetVerifyHostname on a server: the client certificate is checked against the accept hostname', async () => {
  // The client's certificate is for client.example.com.
  // (TLS 1.2, so that the client's handshake ends after the server's verdict.)
  const wrong = await wrappedAccept(hostnameCheckingServer(), 'wrong.example', clientWithCert('tls12'));
  closeAll(wrong.client, wrong.server);
  assert.ok(o.isSslError(wrong.server), String(wrong.server));
  assert.match(wrong.server.message, /^portsToSslPorts: accept failed \(.*(H|h)ostname mismatch/);
  // Refused inside the handshake: the client heard an alert.
  assert.ok(o.isSslError(wrong.client), String(wrong.client));
  assert.match(wrong.client.message, /^sslConnect: connect failed \(.*alert/);
  const right = await wrappedAccept(hostnameCheckingServer(), 'client.example.com', clientWithCert());
  assert.ok(Array.isArray(right.server), String(right.server));
  assert.equal(o.sslPeerCheckHostname(right.server[0], 'client.example.com'), true);
  closeAll(right.client, right.server);
  // No client certificate: nothing to match, refused.
  const none = await wrappedAccept(hostnameCheckingServer(), 'client.example.com', o.sslMakeClientContext('auto'));
  closeAll(none.client, none.server);
  assert.ok(o.isSslError(none.server), String(none.server));
  assert.match(none.server.message, /^portsToSslPorts: accept failed \(/);
  // No hostname to check against: refused before the handshake, with the reference's words.
  const missing = await wrappedAccept(hostnameCheckingServer(), null, clientWithCert());
  closeAll(missing.client, missing.server);
  assert.ok(o.isSslError(missing.server), String(missing.server));
  assert.equal(missing.server.message, 'portsToSslPorts: accept failed (hostname not provided for verification)');
});

test('sslSetVerifyHostname on a server: sslAccept, which takes no hostname, refuses as Racket does', async () => {
  const { listener, port } = await serve(hostnameCheckingServer());
  try {
    const r = await attempt(listener, port, clientWithCert());
    closeAll(r.client, r.server);
    assert.ok(o.isSslError(r.server), String(r.server));
    assert.equal(r.server.message, 'sslAccept: accept failed (hostname not provided for verification)');
    assert.equal(r.server.code, 'ERR_SSL_NO_HOSTNAME');
    assert.ok(o.isSslError(r.client), String(r.client));
    // The listener keeps serving once hostname checks are off again.
    const plain = await serve(serverCtx());
    const ok = await attempt(plain.listener, plain.port, clientWithCert());
    assert.ok(Array.isArray(ok.server), String(ok.server));
    closeAll(ok.client, ok.server);
    await o.sslClose(plain.listener);
  } finally {
    await o.sslClose(listener);
  }
});

// ---- Gerbil's ssl-listen addr context: backlog: (004) ----

test("Gerbil's sslListen(addr, { context, backlog }): a listener accepted with .accept()/sslAccept and closed with .close()", async () => {
  const context = o.makeServerSslContext(cert('server-rsa-chain.pem'), cert('server-rsa.key'));
  const listener = await o.sslListen('127.0.0.1:0', { context, backlog: 16 });
  assert.equal(o.isSslListener(listener), true);
  const [address, port] = o.sslAddresses(listener, true);
  assert.equal(address, '127.0.0.1');
  assert.ok(port > 0);
  for (const accept of [() => listener.accept(), () => o.sslAccept(listener)]) {
    const accepted = accept();
    const [cin, cout] = await o.sslConnect('127.0.0.1', port, o.insecureClientSslContext());
    const [sin, sout] = await accepted;
    cout.write('world');
    const [greet] = await once(sin, 'data');
    sout.write(`hello, ${greet}`);
    const [reply] = await once(cin, 'data');
    assert.equal(reply.toString(), 'hello, world');
    for (const p of [cin, cout, sin, sout]) p.destroy();
  }
  await listener.close();
  assert.equal(listener.isClosed, true);
  await assert.rejects(listener.accept(), (e) => o.isSslError(e) && e.code === 'ERR_SSL_LISTENER_CLOSED');
  // The context may be a protocol symbol, the address ':port' means every address; sslClose closes it.
  const any = await o.sslListen(':0', { context: 'auto' });
  assert.equal(o.isSslServerContext(any.context), true);
  await o.sslClose(any);
  // The positional (Racket) form still works alongside.
  const racket = await o.sslListen(0, 5, false, '127.0.0.1', context);
  assert.equal(o.sslAddresses(racket, true)[0], '127.0.0.1');
  await o.sslClose(racket);
});

test("Gerbil's sslListen form checks its arguments", async () => {
  const context = serverCtx();
  await assert.rejects(o.sslListen('127.0.0.1:0', { context, sockets: 2 }), (e) => e instanceof TypeError && /sslListen: unknown option "sockets"/.test(e.message));
  await assert.rejects(o.sslListen('127.0.0.1:0', {}), (e) => e instanceof TypeError && /^sslListen: options.context /.test(e.message));
  await assert.rejects(o.sslListen('127.0.0.1:0'), (e) => e instanceof TypeError && /^sslListen: options /.test(e.message));
  await assert.rejects(o.sslListen('127.0.0.1', { context }), (e) => e instanceof RangeError && /^sslListen: addr /.test(e.message));
  await assert.rejects(o.sslListen('127.0.0.1:70000', { context }), RangeError);
  await assert.rejects(o.sslListen('127.0.0.1:0', { context, backlog: -1 }), (e) => e instanceof RangeError && /options.backlog/.test(e.message));
  await assert.rejects(o.sslListen('127.0.0.1:0', { context, backlog: '5' }), TypeError);
  await assert.rejects(o.sslListen('127.0.0.1:0', { context: o.sslMakeClientContext() }), TypeError);
});
