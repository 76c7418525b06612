// Credentials from memory over real TLS: a server whose chain and key are PEM/DER bytes or strings
// (checked by node:tls and by our client trusting only the root), a client trusting a CA given as
// bytes (and refusing a server from another CA), mutual TLS with a client identity from memory, the
// CA names a server suggests from memory (seen by `openssl s_client`), and every X509/BIO freed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import * as o from '../dist/index.js';
import { cert, collectGarbage, readExactly, run } from './support/helpers.mjs';

const pem = (name) => readFileSync(cert(name));
/** DER of every certificate of a PEM file, concatenated. */
const derChain = (name) =>
  Buffer.concat(
    pem(name)
      .toString('latin1')
      .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
      .map((p) => new X509Certificate(p).raw),
  );
const derKey = (name) => createPrivateKey(pem(name)).export({ format: 'der', type: 'pkcs8' });

function clientTrusting(source) {
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, source);
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  return ctx;
}

/** One connection from our client to a listener on ctx; resolves { client, server } (ports or errors). */
async function connectOnce(serverCtx, clientCtx) {
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
  try {
    const accepted = o.sslAccept(listener).catch((e) => e);
    const client = await o.sslConnect('localhost', o.sslListenerPort(listener), clientCtx).catch((e) => e);
    const server = await accepted;
    return { client, server };
  } finally {
    await o.sslClose(listener);
  }
}
const destroy = (...sides) => {
  for (const s of sides) if (Array.isArray(s)) for (const p of s) p.destroy();
};

/** node:tls as the client: does it verify our server (chain sent, key matching) trusting only the root? */
function nodeClient(port, ca = pem('root-ca.pem')) {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      resolve({ authorized: s.authorized, error: null });
      s.destroy();
    });
    s.on('error', (e) => resolve({ authorized: false, error: e }));
  });
}

const serverForms = {
  'PEM bytes': () => ({ certificateChain: ['pem-data', pem('server-rsa-chain.pem')], privateKey: ['pem-data', pem('server-rsa.key')] }),
  'PEM strings': () => ({
    certificateChain: ['pem-data', pem('server-ecdsa-chain.pem').toString('latin1')],
    privateKey: ['pem-data', pem('server-ecdsa.key').toString('latin1')],
  }),
  'DER bytes': () => ({ certificateChain: ['der-data', derChain('server-rsa-chain.pem')], privateKey: ['der-data', derKey('server-rsa.key')] }),
  'a Uint8Array view': () => {
    const b = pem('server-rsa-chain.pem');
    const padded = new Uint8Array(b.length + 10);
    padded.set(b, 5);
    return { certificateChain: ['pem-data', padded.subarray(5, 5 + b.length)], privateKey: ['pem-data', new Uint8Array(pem('server-rsa.key'))] };
  },
};

for (const [form, options] of Object.entries(serverForms)) {
  test(`a server whose chain and key are ${form} is verified by node:tls and by our client (CA from memory)`, async () => {
    const serverCtx = o.sslMakeServerContext('auto', options());
    // node:tls, trusting only the root: the intermediate must have been sent from the in-memory chain.
    const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
    const accepted = o.sslAccept(listener).catch((e) => e);
    const node = await nodeClient(o.sslListenerPort(listener));
    destroy(await accepted);
    await o.sslClose(listener);
    assert.equal(node.error, null, String(node.error));
    assert.equal(node.authorized, true);

    const { client, server } = await connectOnce(serverCtx, clientTrusting(['pem-data', pem('root-ca.pem')]));
    assert.ok(Array.isArray(client), String(client));
    assert.equal(o.sslPeerVerified(client[0]), true);
    assert.match(o.sslPeerSubjectName(client[0]).toString(), /CN=localhost/);
    client[1].write('ping');
    assert.equal((await readExactly(server[0], 4)).toString(), 'ping');
    destroy(client, server);
  });
}

test('sslLoadCertificateChain and sslLoadPrivateKey take every memory form; a later chain replaces the earlier one', async () => {
  const ctx = o.sslMakeServerContext('auto');
  o.sslLoadCertificateChain(ctx, ['pem-data', pem('sni-example-chain.pem')]);
  o.sslLoadPrivateKey(ctx, ['data', pem('sni-example.key')]);
  // replaced: the localhost chain, key as DER
  o.sslLoadCertificateChain(ctx, ['der-data', derChain('server-rsa-chain.pem')]);
  o.sslLoadPrivateKey(ctx, ['der-data', derKey('server-rsa.key')]);
  const { client, server } = await connectOnce(ctx, clientTrusting(['der-data', new X509Certificate(pem('root-ca.pem')).raw]));
  assert.ok(Array.isArray(client), String(client));
  assert.equal(o.sslPeerVerified(client[0]), true);
  assert.deepEqual(o.sslPeerCertificateHostnames(client[0]), ['localhost']);
  destroy(client, server);
  // ['pem', path] and ['der', path] as the chain argument, too
  const ctx2 = o.sslMakeServerContext('auto', { certificateChain: ['pem', cert('server-rsa-chain.pem')], privateKey: ['pem', cert('server-rsa.key')] });
  const r2 = await connectOnce(ctx2, clientTrusting(['pem-data', pem('root-ca.pem').toString('latin1')]));
  assert.ok(Array.isArray(r2.client), String(r2.client));
  destroy(r2.client, r2.server);
});

test('a client trusting another CA from memory refuses the server, inside the handshake', async () => {
  const serverCtx = o.sslMakeServerContext('auto', serverForms['PEM bytes']());
  const { client, server } = await connectOnce(serverCtx, clientTrusting(['pem-data', pem('untrusted-ca.pem')]));
  destroy(client, server);
  assert.ok(o.isSslError(client), String(client));
  assert.equal(client.code, 'CERTIFICATE_VERIFY_FAILED');
  assert.match(client.message, /^sslConnect: connect failed \(.*unable to get local issuer certificate/);
  assert.ok(o.isSslError(server));
});

test('mutual TLS with the client identity and the server trust both from memory', async () => {
  const serverCtx = o.sslMakeServerContext('auto', serverForms['PEM bytes']());
  o.sslLoadVerifySource(serverCtx, ['pem-data', pem('root-ca.pem')]);
  o.sslSetVerify(serverCtx, true);
  const clientCtx = o.sslMakeClientContext('auto', {
    certificateChain: ['pem-data', pem('client-chain.pem')],
    privateKey: ['der-data', derKey('client.key')],
  });
  o.sslLoadVerifySource(clientCtx, ['pem-data', pem('root-ca.pem')]);
  o.sslSetVerify(clientCtx, true);
  const { client, server } = await connectOnce(serverCtx, clientCtx);
  assert.ok(Array.isArray(client), String(client));
  assert.ok(Array.isArray(server), String(server));
  assert.equal(o.sslPeerVerified(server[0]), true);
  assert.match(o.sslPeerSubjectName(server[0]).toString(), /CN=client\.example\.com/);
  destroy(client, server);
});

test('the CA names a server suggests come from memory too (seen by openssl s_client)', async () => {
  const serverCtx = o.sslMakeServerContext('auto', serverForms['PEM bytes']());
  o.sslLoadVerifySource(serverCtx, cert('root-ca.pem'));
  o.sslLoadSuggestedCertificateAuthorities(serverCtx, ['pem-data', pem('ca-bundle.pem')]);
  o.sslTryVerify(serverCtx, true);
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
  const accepted = o.sslAccept(listener).catch((e) => e);
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${o.sslListenerPort(listener)}`, '-tls1_2'], { input: 'Q\n', timeoutMs: 20000 });
  destroy(await accepted);
  await o.sslClose(listener);
  const text = r.stdout + r.stderr;
  const names = text.split('Acceptable client certificate CA names')[1] ?? '';
  assert.match(names, /CN\s*=\s*openssl-ports Test Root CA/, text);
  assert.match(names, /Intermediate/i, text);
});

test('bad memory credentials fail with errors naming the procedure; nothing leaks', async () => {
  const before = o.sslObjectCounts();
  const ctx = o.sslMakeServerContext('auto');
  assert.throws(() => o.sslLoadCertificateChain(ctx, ['pem-data', 'not a certificate']), (e) => o.isSslError(e) && /^sslLoadCertificateChain: no PEM certificate found in pem-data/.test(e.message));
  assert.throws(() => o.sslLoadCertificateChain(ctx, ['der-data', Buffer.from('garbage')]), (e) => o.isSslError(e) && /^sslLoadCertificateChain: no DER certificate/.test(e.message));
  assert.throws(() => o.sslLoadCertificateChain(ctx, ['der-data', 'a string']), (e) => e instanceof TypeError && /^sslLoadCertificateChain: pathname data must be a Buffer or Uint8Array/.test(e.message));
  assert.throws(() => o.sslLoadCertificateChain(ctx, ['pfx', Buffer.alloc(1)]), (e) => e instanceof TypeError && /^sslLoadCertificateChain: pathname must be a path, \['pem', path\]/.test(e.message));
  assert.throws(() => o.sslLoadVerifySource(ctx, ['pem-data', 'nothing here']), (e) => o.isSslError(e) && /^sslLoadVerifySource: no PEM certificate/.test(e.message));
  o.sslLoadVerifySource(ctx, ['pem-data', 'nothing here'], { try: true });
  assert.throws(() => o.sslLoadPrivateKey(ctx, ['pem-data', pem('server-rsa-chain.pem')]), (e) => o.isSslError(e) && /^sslLoadPrivateKey: no RSA private key found in pem-data/.test(e.message));
  assert.throws(() => o.sslLoadPrivateKey(ctx, ['pem-data', pem('server-rsa.key')], true, true), RangeError);
  assert.throws(() => o.sslMakeServerContext('auto', { privateKey: ['pfx-data', Buffer.alloc(1)] }), (e) => e instanceof RangeError && /^sslMakeServerContext: privateKey kind/.test(e.message));
  // a weak key refused by the security level, from memory as from a file
  assert.throws(() => o.sslLoadCertificateChain(ctx, ['pem-data', pem('bad-rsa1024-chain.pem')]), (e) => o.isSslError(e) && /ee key too small/.test(e.message));
  const sealed = o.sslMakeClientContext('auto');
  o.sslSealContext(sealed);
  assert.throws(() => o.sslLoadVerifySource(sealed, ['pem-data', pem('root-ca.pem')]), /sealed/);

  for (let i = 0; i < 50; i++) {
    const c = o.sslMakeServerContext('auto', serverForms['DER bytes']());
    o.sslLoadVerifySource(c, ['pem-data', pem('ca-bundle.pem')]);
    o.sslLoadVerifySource(c, ['pem-data', pem('ca-bundle.pem')]); // the same certificates again
    o.sslLoadSuggestedCertificateAuthorities(c, ['pem-data', pem('ca-bundle.pem')]);
    o.sslLoadCertificateChain(c, ['pem-data', pem('server-rsa-chain.pem')]);
  }
  const mid = o.sslObjectCounts();
  assert.equal(mid.X509, before.X509, 'every X509 parsed from memory is freed at once');
  assert.equal(mid.BIO, before.BIO);
  assert.equal(mid.EVP_PKEY, before.EVP_PKEY);
  await collectGarbage();
  await collectGarbage();
  assert.ok(o.sslObjectCounts().SSL_CTX <= before.SSL_CTX + 3, `contexts freed: ${JSON.stringify(o.sslObjectCounts())}`);
});
