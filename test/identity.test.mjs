// Who the peer is, over real TLS: subject and issuer names (byte for byte against the openssl CLI),
// certificate hostnames (DNS names only, CN fallback), OpenSSL's hostname/IP matching with wildcards,
// and the peer certificate as node:crypto's X509Certificate — on both ends, with and without certificates.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, run, readExactly } from './support/helpers.mjs';

/** A connected pair over loopback: our server (with `chain`/`key`) and our client. */
async function pair({ chain = cert('server-rsa-chain.pem'), key = cert('server-rsa.key'), protocol = 'auto', client = o.sslMakeClientContext(), host = 'localhost', setup } = {}) {
  const ctx = o.sslMakeServerContext(protocol, { certificateChain: chain, privateKey: ['pem', key] });
  setup?.(ctx);
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  try {
    const accepted = o.sslAccept(listener);
    const [cin, cout] = await o.sslConnect(host, o.sslListenerPort(listener), client);
    const [sin, sout] = await accepted;
    return {
      cin, cout, sin, sout,
      async close() {
        for (const p of [cin, cout, sin, sout]) p.destroy();
        await o.sslClose(listener);
      },
    };
  } catch (e) {
    await o.sslClose(listener);
    throw e;
  }
}

/** `openssl x509 -noout -subject -issuer -nameopt compat` of a PEM file, as raw bytes without the labels. */
async function cliNames(file) {
  const r = await run('openssl', ['x509', '-noout', '-subject', '-issuer', '-nameopt', 'compat', '-in', file]);
  assert.equal(r.code, 0, r.stderr.toString());
  const lines = r.stdout.toString('latin1').replace(/\n$/, '').split('\n');
  assert.equal(lines.length, 2);
  assert.ok(lines[0].startsWith('subject=') && lines[1].startsWith('issuer='));
  return { subject: Buffer.from(lines[0].slice('subject='.length), 'latin1'), issuer: Buffer.from(lines[1].slice('issuer='.length), 'latin1') };
}

const withClientCert = (chain = 'client-chain.pem', key = 'client.key') =>
  o.sslMakeClientContext('auto', { privateKey: ['pem', cert(key)], certificateChain: cert(chain) });

test('subject and issuer names equal `openssl x509 -nameopt compat`, byte for byte, on both ends and all ports', async () => {
  for (const [name, protocol] of [
    ['server-rsa', 'tls13'],
    ['server-ecdsa', 'tls12'],
    ['sni-example', 'auto'],
  ]) {
    const c = await pair({ chain: cert(`${name}-chain.pem`), key: cert(`${name}.key`), protocol, client: withClientCert(), setup: (ctx) => o.sslTryVerify(ctx, true) });
    try {
      const server = await cliNames(cert(`${name}.pem`));
      const client = await cliNames(cert('client.pem'));
      for (const p of [c.cin, c.cout]) {
        // The client did not verify, yet gets the names (as Racket's implementation does).
        assert.equal(o.sslPeerVerified(p), false);
        const subject = o.sslPeerSubjectName(p);
        assert.ok(Buffer.isBuffer(subject));
        assert.deepEqual(subject, server.subject, name);
        assert.deepEqual(o.sslPeerIssuerName(p), server.issuer, name);
      }
      for (const p of [c.sin, c.sout]) {
        // The server tried to verify without any trusted roots: unverified, names still there.
        assert.equal(o.sslPeerVerified(p), false);
        assert.deepEqual(o.sslPeerSubjectName(p), client.subject);
        assert.deepEqual(o.sslPeerIssuerName(p), client.issuer);
      }
    } finally {
      await c.close();
    }
  }
  // The values themselves, as the seed shows them.
  const client = await cliNames(cert('client.pem'));
  assert.equal(client.subject.toString(), '/C=US/ST=Racketa/O=openssl-ports tests/CN=client.example.com/emailAddress=client@example.com');
  assert.equal(client.issuer.toString(), '/C=US/O=openssl-ports tests/CN=openssl-ports Test Intermediate CA');
});

test('a verified client certificate: names and verification on the server side', async () => {
  const c = await pair({
    client: withClientCert(),
    setup: (ctx) => {
      o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
      o.sslSetVerify(ctx, true);
    },
  });
  try {
    const client = await cliNames(cert('client.pem'));
    for (const p of [c.sin, c.sout]) {
      assert.equal(o.sslPeerVerified(p), true);
      assert.deepEqual(o.sslPeerSubjectName(p), client.subject);
      assert.deepEqual(o.sslPeerIssuerName(p), client.issuer);
    }
  } finally {
    await c.close();
  }
});

test('no client certificate: names are null, hostnames empty, checks false, certificate null', async () => {
  for (const setup of [undefined, (ctx) => o.sslTryVerify(ctx, true)]) {
    const c = await pair({ setup });
    try {
      for (const p of [c.sin, c.sout]) {
        assert.equal(o.sslPeerSubjectName(p), null);
        assert.equal(o.sslPeerIssuerName(p), null);
        assert.equal(o.sslPeerCertificate(p), null);
        assert.deepEqual(o.sslPeerCertificateHostnames(p), []);
        assert.equal(o.sslPeerCheckHostname(p, 'localhost'), false);
        assert.equal(o.sslPeerVerified(p), false);
      }
      // The client side still sees the server's certificate.
      assert.match(o.sslPeerSubjectName(c.cin).toString(), /CN=localhost$/);
      // The connection itself is fine.
      c.cout.write('ok');
      assert.equal((await readExactly(c.sin, 2)).toString(), 'ok');
    } finally {
      await c.close();
    }
  }
});

test('certificate hostnames: DNS names only (no IP addresses, no e-mail), patterns kept', async () => {
  const a = await pair({ client: withClientCert(), setup: (ctx) => o.sslTryVerify(ctx, true) });
  try {
    // server-rsa has SAN DNS:localhost, IP:127.0.0.1, IP:::1.
    assert.deepEqual(o.sslPeerCertificateHostnames(a.cin), ['localhost']);
    assert.deepEqual(o.sslPeerCertificateHostnames(a.cout), ['localhost']);
    // client has SAN DNS:client.example.com, email:client@example.com.
    assert.deepEqual(o.sslPeerCertificateHostnames(a.sin), ['client.example.com']);
  } finally {
    await a.close();
  }
  const b = await pair({ chain: cert('sni-example-chain.pem'), key: cert('sni-example.key'), host: '127.0.0.1' });
  try {
    assert.deepEqual(o.sslPeerCertificateHostnames(b.cin), ['example.test', '*.example.test']);
  } finally {
    await b.close();
  }
});

test('certificate hostnames fall back to the subject CN when there is no subjectAltName', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openssl-ports-identity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pem = join(dir, 'nosan.pem');
  const key = join(dir, 'nosan.key');
  const r = await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-utf8', '-days', '2',
    '-subj', '/C=DE/O=Ünïcode, Inc. "q"/CN=nosan.test', '-keyout', key, '-out', pem,
  ]);
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(new X509Certificate(readFileSync(pem)).subjectAltName, undefined);
  const c = await pair({ chain: pem, key });
  try {
    assert.deepEqual(o.sslPeerCertificateHostnames(c.cin), ['nosan.test']);
    assert.equal(o.sslPeerCheckHostname(c.cin, 'nosan.test'), true);
    assert.equal(o.sslPeerCheckHostname(c.cin, 'other.test'), false);
    // Non-ASCII bytes and punctuation in the one-line form, exactly as OpenSSL writes them.
    const names = await cliNames(pem);
    assert.match(names.subject.toString(), /\\xC3\\x9Cn\\xC3\\xAFcode, Inc\. "q"/);
    assert.deepEqual(o.sslPeerSubjectName(c.cin), names.subject);
    assert.deepEqual(o.sslPeerIssuerName(c.cout), names.issuer);
  } finally {
    await c.close();
  }
});

test('sslPeerCheckHostname: OpenSSL matching with single-label wildcards and IP addresses', async () => {
  const a = await pair();
  try {
    for (const [name, expected] of [
      ['localhost', true],
      ['LOCALHOST', true],
      ['127.0.0.1', true],
      ['::1', true],
      ['10.0.0.1', false],
      ['127.0.0.2', false],
      ['example.test', false],
      ['localhost.example', false],
    ]) {
      assert.equal(o.sslPeerCheckHostname(a.cin, name), expected, name);
      assert.equal(o.sslPeerCheckHostname(a.cout, name), expected, name);
    }
  } finally {
    await a.close();
  }
  const b = await pair({ chain: cert('sni-example-chain.pem'), key: cert('sni-example.key'), host: '127.0.0.1' });
  try {
    for (const [name, expected] of [
      ['example.test', true],
      ['a.example.test', true],
      ['A.Example.Test', true],
      ['a.b.example.test', false],
      ['.example.test', false],
      ['example.test.evil', false],
      ['localhost', false],
      ['127.0.0.1', false],
    ]) {
      assert.equal(o.sslPeerCheckHostname(b.cin, name), expected, name);
    }
  } finally {
    await b.close();
  }
});

test('sslPeerCertificate returns the X509Certificate the peer sent, on each end', async () => {
  const c = await pair({ client: withClientCert(), setup: (ctx) => o.sslTryVerify(ctx, true) });
  try {
    const server = new X509Certificate(readFileSync(cert('server-rsa.pem')));
    const client = new X509Certificate(readFileSync(cert('client.pem')));
    for (const p of [c.cin, c.cout]) {
      const pc = o.sslPeerCertificate(p);
      assert.ok(pc instanceof X509Certificate);
      assert.equal(pc.subject, 'C=US\nO=openssl-ports tests\nCN=localhost');
      assert.equal(pc.fingerprint256, server.fingerprint256);
      assert.deepEqual(pc.raw, server.raw);
      assert.equal(pc.checkHost('localhost'), 'localhost');
    }
    for (const p of [c.sin, c.sout]) {
      const pc = o.sslPeerCertificate(p);
      assert.ok(pc instanceof X509Certificate);
      assert.match(pc.subject, /CN=client\.example\.com/);
      assert.equal(pc.fingerprint256, client.fingerprint256);
    }
    // The leaf only, not the intermediate the server also sent.
    assert.notEqual(o.sslPeerCertificate(c.cin).fingerprint256, new X509Certificate(readFileSync(cert('intermediate-ca.pem'))).fingerprint256);
  } finally {
    await c.close();
  }
});

test('identity queries on closed ports and on non-ports', async () => {
  const c = await pair();
  await c.close();
  for (const fn of [o.sslPeerSubjectName, o.sslPeerIssuerName, o.sslPeerCertificateHostnames, o.sslPeerCertificate, o.sslPeerVerified]) {
    assert.throws(() => fn(c.cin), (e) => o.isSslError(e) && /closed/.test(e.message), fn.name);
    assert.throws(() => fn({}), TypeError, fn.name);
  }
  assert.throws(() => o.sslPeerCheckHostname(c.cin, 'localhost'), (e) => o.isSslError(e) && /^sslPeerCheckHostname: .*closed/.test(e.message));
  const d = await pair();
  try {
    assert.throws(() => o.sslPeerCheckHostname(d.cin, 42), TypeError);
  } finally {
    await d.close();
  }
});
