// Gerbil's :std/net/ssl rows: the contexts, sslConnect's timeout and host, sslPeerCertificate, isSslError.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as o from '../dist/index.js';
import { cert, run, root } from './support/helpers.mjs';

async function listenerWith(ctx) {
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  return { listener, port: o.sslListenerPort(listener) };
}

/** Connects with `clientCtx`; resolves 'ok' or the error; always cleans up. */
async function tryConnect(port, clientCtx, listener, options = {}, host = '127.0.0.1') {
  const accepted = o.sslAccept(listener).catch((e) => e);
  try {
    const [input, output] = await o.sslConnect(host, port, clientCtx, options);
    const server = await accepted;
    for (const p of [input, output, ...(Array.isArray(server) ? server : [])]) p.destroy();
    return 'ok';
  } catch (e) {
    await accepted;
    return e;
  }
}

test('defaultClientSslContext verifies against the system store', async () => {
  const ctx = o.defaultClientSslContext();
  assert.equal(o.isSslClientContext(ctx), true);
  const { listener, port } = await listenerWith(o.makeServerSslContext(cert('server-rsa-chain.pem'), cert('server-rsa.key')));
  // The test CA is not in the system store: refused.
  const r = await tryConnect(port, ctx, listener, {}, 'localhost');
  assert.ok(o.isSslError(r), String(r));
  assert.match(r.message, /certificate verify failed/);
  await o.sslClose(listener);
  // With the test CA as the system store (SSL_CERT_FILE, read by the default verify sources): accepted.
  const script = `
    import * as o from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
    const ctx = o.makeServerSslContext(${JSON.stringify(cert('server-rsa-chain.pem'))}, ${JSON.stringify(cert('server-rsa.key'))});
    const l = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
    const acc = o.sslAccept(l);
    const [i, out] = await o.sslConnect('localhost', o.sslListenerPort(l), o.defaultClientSslContext());
    console.log(o.sslPeerVerified(i));
    const [si, so] = await acc;
    for (const p of [i, out, si, so]) p.destroy();
    await o.sslClose(l);`;
  const res = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, SSL_CERT_FILE: cert('root-ca.pem'), SSL_CERT_DIR: '' },
  });
  assert.equal(res.stderr.toString(), '');
  assert.equal(res.stdout.toString().trim(), 'true');
});

test('insecureClientSslContext accepts a self-signed server', async () => {
  const { listener, port } = await listenerWith(o.makeServerSslContext(cert('bad-self-signed.pem'), cert('bad-self-signed.key')));
  assert.equal(await tryConnect(port, o.insecureClientSslContext(), listener), 'ok');
  const secure = o.sslMakeClientContext('secure');
  const r = await tryConnect(port, secure, listener, {}, 'localhost');
  assert.ok(o.isSslError(r));
  await o.sslClose(listener);
});

test('minimum protocol versions refuse lower ones', async () => {
  const tls12Server = await listenerWith(o.sslMakeServerContext('tls12', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] }));
  const c13 = o.makeClientSslContext('tls13');
  o.sslLoadVerifySource(c13, cert('root-ca.pem'));
  const r = await tryConnect(tls12Server.port, c13, tls12Server.listener, {}, 'localhost');
  assert.ok(o.isSslError(r), String(r));
  const c12 = o.makeClientSslContext();
  o.sslLoadVerifySource(c12, cert('root-ca.pem'));
  assert.equal(await tryConnect(tls12Server.port, c12, tls12Server.listener, {}, 'localhost'), 'ok');
  await o.sslClose(tls12Server.listener);

  const min13 = await listenerWith(o.makeServerSslContext(cert('server-rsa-chain.pem'), cert('server-rsa.key'), 'tls13'));
  const r2 = await tryConnect(min13.port, 'tls12', min13.listener);
  assert.ok(o.isSslError(r2));
  assert.equal(await tryConnect(min13.port, 'auto', min13.listener), 'ok');
  await o.sslClose(min13.listener);
  assert.throws(() => o.makeClientSslContext('tls14'), RangeError);
  assert.throws(() => o.makeServerSslContext(cert('server-rsa-chain.pem'), cert('does-not-exist.key')), (e) => o.isSslError(e));
});

test("sslConnect's host: verification of a connection to 127.0.0.1 succeeds or fails by the name given", async () => {
  const { listener, port } = await listenerWith(o.makeServerSslContext(cert('sni-example-chain.pem'), cert('sni-example.key')));
  const ctx = () => {
    const c = o.makeClientSslContext();
    o.sslLoadVerifySource(c, cert('root-ca.pem'));
    return c;
  };
  assert.equal(await tryConnect(port, ctx(), listener, { host: 'example.test' }), 'ok');
  assert.equal(await tryConnect(port, ctx(), listener, { host: 'www.example.test' }), 'ok');
  const r = await tryConnect(port, ctx(), listener, { host: 'localhost' });
  assert.ok(o.isSslError(r));
  assert.match(r.message, /connect failed/);
  const r2 = await tryConnect(port, ctx(), listener); // the IP itself is not in the certificate
  assert.ok(o.isSslError(r2));
  await o.sslClose(listener);
});

test("sslConnect's host is sent as SNI: the server picks its certificate by it, and sessions are kept per name", async () => {
  // The default certificate (localhost) would fail the check for example.test: only SNI selects the right one.
  const fallback = o.makeServerSslContext(cert('server-rsa-chain.pem'), cert('server-rsa.key'));
  const named = o.makeServerSslContext(cert('sni-example-chain.pem'), cert('sni-example.key'));
  const seen = [];
  o.sslSetServerNameIdentificationCallback(fallback, (name) => {
    seen.push(name);
    return name === 'example.test' ? named : null;
  });
  const { listener, port } = await listenerWith(fallback);
  const client = o.makeClientSslContext();
  o.sslLoadVerifySource(client, cert('root-ca.pem'));
  const once = async (options) => {
    const accepted = o.sslAccept(listener);
    const [input, output] = await o.sslConnect('127.0.0.1', port, client, options);
    const [sin, sout] = await accepted;
    sout.write('x');
    await new Promise((r) => input.once('data', r)); // takes in the session tickets too
    const info = { verified: o.sslPeerVerified(input), reused: o.sslSessionReused(input), hostnames: o.sslPeerCertificateHostnames(input) };
    for (const p of [input, output, sin, sout]) p.destroy();
    return info;
  };
  const first = await once({ host: 'example.test' });
  assert.deepEqual(seen, ['example.test']);
  assert.equal(first.verified, true);
  assert.ok(first.hostnames.includes('example.test'));
  assert.equal((await once({ host: 'example.test' })).reused, true);
  // Another name at the same address does not resume example.test's session, and is checked on its own.
  const other = await once({ host: 'localhost' });
  assert.equal(seen.at(-1), 'localhost');
  assert.equal(other.reused, false);
  assert.equal(other.verified, true);
  assert.ok(other.hostnames.includes('localhost'));
  await o.sslClose(listener);
});

test("sslConnect's timeout: a listener that never answers fails within the timeout", async () => {
  const sockets = [];
  const silent = createServer((s) => sockets.push(s)); // accepts TCP, never speaks TLS
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const started = Date.now();
  await assert.rejects(o.sslConnect('127.0.0.1', silent.address().port, 'auto', { timeout: 300 }), (e) => {
    assert.ok(o.isSslError(e));
    assert.equal(e.code, 'ETIMEDOUT');
    assert.match(e.message, /^sslConnect: connect failed \(handshake timed out/);
    return true;
  });
  assert.ok(Date.now() - started < 5000);
  for (const s of sockets) s.destroy();
  silent.close();
});

test('sslPeerCertificate is a node X509Certificate (or null); isSslError', async () => {
  const { listener, port } = await listenerWith(o.makeServerSslContext(cert('server-rsa-chain.pem'), cert('server-rsa.key')));
  const accepted = o.sslAccept(listener);
  const [cin, cout] = await o.sslConnect('127.0.0.1', port, o.insecureClientSslContext());
  const [sin, sout] = await accepted;
  const pc = o.sslPeerCertificate(cin);
  assert.ok(pc instanceof X509Certificate);
  assert.equal(pc.fingerprint256, new X509Certificate(readFileSync(cert('server-rsa.pem'))).fingerprint256);
  assert.equal(o.sslPeerCertificate(sout), null);
  assert.equal(o.isSslError(new Error('x')), false);
  assert.equal(o.isSslError(new o.SslError('x')), true);
  for (const p of [sin, sout, cin, cout]) p.destroy();
  await o.sslClose(listener);
  void root;
});
