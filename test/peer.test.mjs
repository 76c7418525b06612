// Who the peer is (subject, issuer, hostnames, certificate) and channel bindings, checked against the
// openssl CLI, Python's ssl and the certificate fingerprint rule.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate, createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import * as o from '../dist/index.js';
import { cert, run, waitForOutput, readExactly } from './support/helpers.mjs';

async function pair({ chain = 'server-rsa-chain.pem', key = 'server-rsa.key', protocol = 'auto', client = o.sslMakeClientContext(), host = 'localhost', setup } = {}) {
  const ctx = o.sslMakeServerContext(protocol, { certificateChain: cert(chain), privateKey: ['pem', cert(key)] });
  setup?.(ctx);
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
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
}

async function cliNames(file) {
  const r = await run('openssl', ['x509', '-noout', '-subject', '-issuer', '-nameopt', 'compat', '-in', cert(file)]);
  const [subject, issuer] = r.stdout.toString().trim().split('\n');
  return { subject: subject.replace(/^subject=/, ''), issuer: issuer.replace(/^issuer=/, '') };
}

test('subject and issuer names equal `openssl x509 -nameopt compat`, on both ends', async () => {
  const client = o.sslMakeClientContext('auto', { privateKey: ['pem', cert('client.key')], certificateChain: cert('client-chain.pem') });
  const c = await pair({ client, setup: (ctx) => o.sslTryVerify(ctx, true) });
  const server = await cliNames('server-rsa.pem');
  const cl = await cliNames('client.pem');
  for (const p of [c.cin, c.cout]) {
    // Returned although the client did not verify (as Racket's implementation does).
    assert.equal(o.sslPeerVerified(p), false);
    assert.equal(o.sslPeerSubjectName(p).toString(), server.subject);
    assert.equal(o.sslPeerIssuerName(p).toString(), server.issuer);
  }
  for (const p of [c.sin, c.sout]) {
    assert.equal(o.sslPeerSubjectName(p).toString(), cl.subject);
    assert.equal(o.sslPeerIssuerName(p).toString(), cl.issuer);
    assert.ok(Buffer.isBuffer(o.sslPeerSubjectName(p)));
  }
  assert.equal(cl.subject, '/C=US/ST=Racketa/O=openssl-ports tests/CN=client.example.com/emailAddress=client@example.com');
  await c.close();
  const anon = await pair();
  assert.equal(o.sslPeerSubjectName(anon.sin), null);
  assert.equal(o.sslPeerIssuerName(anon.sout), null);
  assert.equal(o.sslPeerCertificate(anon.sin), null);
  assert.deepEqual(o.sslPeerCertificateHostnames(anon.sin), []);
  assert.equal(o.sslPeerCheckHostname(anon.sin, 'localhost'), false);
  await anon.close();
});

test('certificate hostnames (DNS names only) and OpenSSL host matching with wildcards and IPs', async () => {
  const a = await pair();
  assert.deepEqual(o.sslPeerCertificateHostnames(a.cin), ['localhost']);
  assert.equal(o.sslPeerCheckHostname(a.cin, 'localhost'), true);
  assert.equal(o.sslPeerCheckHostname(a.cin, 'LOCALHOST'), true);
  assert.equal(o.sslPeerCheckHostname(a.cin, '127.0.0.1'), true);
  assert.equal(o.sslPeerCheckHostname(a.cin, '::1'), true);
  assert.equal(o.sslPeerCheckHostname(a.cin, '10.0.0.1'), false);
  assert.equal(o.sslPeerCheckHostname(a.cin, 'example.test'), false);
  const pc = o.sslPeerCertificate(a.cout);
  assert.ok(pc instanceof X509Certificate);
  assert.equal(pc.fingerprint256, new X509Certificate(readFileSync(cert('server-rsa.pem'))).fingerprint256);
  assert.throws(() => o.sslPeerCheckHostname(a.cin, 42), TypeError);
  assert.throws(() => o.sslPeerSubjectName({}), TypeError);
  await a.close();
  const b = await pair({ chain: 'sni-example-chain.pem', key: 'sni-example.key', host: '127.0.0.1' });
  assert.deepEqual(o.sslPeerCertificateHostnames(b.cin), ['example.test', '*.example.test']);
  assert.equal(o.sslPeerCheckHostname(b.cin, 'example.test'), true);
  assert.equal(o.sslPeerCheckHostname(b.cin, 'a.example.test'), true);
  assert.equal(o.sslPeerCheckHostname(b.cin, 'a.b.example.test'), false);
  assert.equal(o.sslPeerCheckHostname(b.cin, 'localhost'), false);
  await b.close();
});

for (const protocol of ['tls12', 'tls13', 'auto']) {
  test(`${protocol}: channel bindings are equal on all four ports`, async () => {
    const c = await pair({ protocol });
    const version = o.sslProtocolVersion(c.cin);
    const types = version === 'tls13' ? ['tls-exporter', 'tls-server-end-point'] : ['tls-exporter', 'tls-unique', 'tls-server-end-point'];
    for (const type of types) {
      const values = [c.cin, c.cout, c.sin, c.sout].map((p) => o.sslChannelBinding(p, type).toString('hex'));
      assert.equal(new Set(values).size, 1, type);
    }
    assert.equal(o.sslChannelBinding(c.cin, 'tls-exporter').length, 32);
    const [dtype, dvalue] = o.sslDefaultChannelBinding(c.sin);
    assert.equal(dtype, version === 'tls13' ? 'tls-exporter' : 'tls-unique');
    assert.deepEqual(dvalue, o.sslChannelBinding(c.cout, dtype));
    if (version === 'tls13') assert.throws(() => o.sslChannelBinding(c.cin, 'tls-unique'), (e) => o.isSslError(e) && /TLS 1\.3/.test(e.message));
    assert.throws(() => o.sslChannelBinding(c.cin, 'tls-nonsense'), RangeError);
    await c.close();
    assert.throws(() => o.sslChannelBinding(c.cin, 'tls-exporter'), (e) => o.isSslError(e) && /closed/.test(e.message));
  });
}

test('tls-server-end-point follows the signature hash rule (SHA-256, SHA-384, SHA-1 → SHA-256)', async () => {
  for (const [name, hash] of [
    ['server-rsa', 'sha256'],
    ['server-ecdsa-sha384', 'sha384'],
    ['bad-sha1', 'sha256'],
  ]) {
    let c;
    if (name !== 'bad-sha1') c = await pair({ chain: `${name}.pem`, key: `${name}.key` });
    else {
      // A SHA-1-signed certificate cannot be loaded at security level 2: lower it for this server only.
      const ctx = o.sslMakeServerContext('auto');
      o.sslSetCiphers(ctx, 'DEFAULT:@SECLEVEL=0');
      o.sslLoadCertificateChain(ctx, cert(`${name}.pem`));
      o.sslLoadPrivateKey(ctx, cert(`${name}.key`), false);
      const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
      const accepted = o.sslAccept(listener);
      const [cin, cout] = await o.sslConnect('127.0.0.1', o.sslListenerPort(listener));
      const [sin, sout] = await accepted;
      c = { cin, sin, close: async () => { for (const p of [cin, cout, sin, sout]) p.destroy(); await o.sslClose(listener); } };
    }
    const der = new X509Certificate(readFileSync(cert(`${name}.pem`))).raw;
    const expected = createHash(hash).update(der).digest('hex');
    assert.equal(o.sslChannelBinding(c.cin, 'tls-server-end-point').toString('hex'), expected, name);
    assert.equal(o.sslChannelBinding(c.sin, 'tls-server-end-point').toString('hex'), expected, name);
    await c.close();
  }
});

for (const [flag, protocol] of [
  ['-tls1_3', 'tls13'],
  ['-tls1_2', 'tls12'],
]) {
  test(`${protocol}: tls-exporter equals openssl s_client -keymatexport on the same connection`, async () => {
    const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
    const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
    const accepted = o.sslAccept(listener);
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${o.sslListenerPort(listener)}`, flag, '-keymatexport', 'EXPORTER-Channel-Binding', '-keymatexportlen', '32'], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      const out = await waitForOutput(child, /Keying material: [0-9A-Fa-f]{64}/);
      const theirs = /Keying material: ([0-9A-Fa-f]{64})/.exec(out)[1].toLowerCase();
      const [sin, sout] = await accepted;
      assert.equal(o.sslProtocolVersion(sin), protocol);
      assert.equal(o.sslChannelBinding(sin, 'tls-exporter').toString('hex'), theirs);
      sin.destroy();
      sout.destroy();
    } finally {
      child.kill('SIGKILL');
      await o.sslClose(listener);
    }
  });
}

test("tls-unique equals Python's ssl get_channel_binding('tls-unique') (TLS 1.2, full and resumed)", async () => {
  const ctx = o.sslMakeServerContext('tls12', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  const port = o.sslListenerPort(listener);
  const py = `
import socket, ssl, sys
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
c.maximum_version = ssl.TLSVersion.TLSv1_2
sess = None
for i in range(2):
    s = c.wrap_socket(socket.create_connection(("127.0.0.1", ${port})), session=sess)
    print(s.get_channel_binding("tls-unique").hex(), s.session_reused, flush=True)
    s.recv(1)
    sess = s.session
    s.close()
`;
  const server = (async () => {
    const values = [];
    for (let i = 0; i < 2; i++) {
      const [sin, sout] = await o.sslAccept(listener);
      values.push([o.sslChannelBinding(sin, 'tls-unique').toString('hex'), o.sslSessionReused(sin)]);
      sout.write('x');
      await new Promise((r) => setTimeout(r, 50));
      sin.destroy();
      sout.destroy();
    }
    return values;
  })();
  const r = await run('python3', ['-c', py]);
  assert.equal(r.code, 0, r.stderr.toString());
  const lines = r.stdout.toString().trim().split('\n').map((l) => l.split(' '));
  const ours = await server;
  assert.equal(lines[0][0], ours[0][0]);
  assert.equal(lines[1][0], ours[1][0]);
  assert.equal(lines[1][1], 'True', 'the second connection resumed');
  assert.equal(ours[1][1], true);
  await o.sslClose(listener);
  void readExactly;
});
