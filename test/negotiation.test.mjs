// ALPN (against openssl s_server/s_client and ourselves), SNI (both directions), key logging.
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import * as o from '../dist/index.js';
import { cert, run, startSServer, readExactly } from './support/helpers.mjs';

const B = (s) => Buffer.from(s);
const serverCtx = (chain = 'server-rsa-chain.pem', key = 'server-rsa.key', protocol = 'auto') =>
  o.sslMakeServerContext(protocol, { certificateChain: cert(chain), privateKey: ['pem', cert(key)] });

async function withListener(ctx, fn) {
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  try {
    return await fn(listener, o.sslListenerPort(listener));
  } finally {
    await o.sslClose(listener);
  }
}

/** Connects our client; returns { client, server } (ports or errors), already closed afterwards by `done`. */
async function exchange(listener, port, clientCtx, options = {}, host = 'localhost') {
  const accepted = o.sslAccept(listener).catch((e) => e);
  const client = await o.sslConnect(host, port, clientCtx, options).catch((e) => e);
  const server = await accepted;
  const done = () => {
    for (const s of [client, server]) if (Array.isArray(s)) for (const p of s) p.destroy();
  };
  return { client, server, done };
}

test('ALPN against openssl s_server -alpn rkt-proto,other', async () => {
  const s = await startSServer(['-cert', cert('server-rsa-chain.pem'), '-key', cert('server-rsa.key'), '-alpn', 'rkt-proto,other']);
  try {
    const cases = [
      [undefined, null],
      [[B('rkt-proto')], 'rkt-proto'],
      [[B('unsupported'), B('rkt-proto')], 'rkt-proto'],
    ];
    for (const [alpn, expected] of cases) {
      const [input, output] = await o.sslConnect('localhost', s.port, 'auto', alpn ? { alpn } : {});
      assert.equal(o.sslGetAlpnSelected(input)?.toString() ?? null, expected);
      assert.equal(o.sslGetAlpnSelected(output)?.toString() ?? null, expected);
      input.destroy();
      output.destroy();
    }
    // No protocol in common: openssl s_server refuses with a fatal no_application_protocol alert
    // (unlike our server with allowNoMatch, below), and our client reports it.
    await assert.rejects(o.sslConnect('localhost', s.port, 'auto', { alpn: [B('stuff'), B('nonsense')] }), (e) => {
      assert.match(e.message, /^sslConnect: connect failed \(.*no application protocol/);
      assert.equal(e.status, 'ssl');
      return true;
    });
  } finally {
    s.kill();
  }
});

test('our server: preference order, no ALPN, no match accepted (allowNoMatch) or refused', async () => {
  const ctx = serverCtx();
  o.sslSetServerAlpn(ctx, [B('rkt-proto'), B('other')]);
  await withListener(ctx, async (listener, port) => {
    for (const [alpn, expected] of [
      [[B('other'), B('rkt-proto')], 'rkt-proto'],
      [[B('other')], 'other'],
      [undefined, null],
      [[B('stuff'), B('nonsense')], null],
    ]) {
      const { client, server, done } = await exchange(listener, port, 'auto', alpn ? { alpn } : {});
      assert.ok(Array.isArray(client) && Array.isArray(server), String(client));
      for (const p of [...client, ...server]) assert.equal(o.sslGetAlpnSelected(p)?.toString() ?? null, expected);
      done();
    }
  });
  const strict = serverCtx();
  o.sslSetServerAlpn(strict, [B('rkt-proto')], false);
  await withListener(strict, async (listener, port) => {
    const { client, server, done } = await exchange(listener, port, 'auto', { alpn: [B('nope')] });
    assert.ok(o.isSslError(client), String(client));
    assert.match(client.message, /no application protocol/i);
    assert.ok(o.isSslError(server));
    done();
    // A client without ALPN is still accepted.
    const ok = await exchange(listener, port, 'auto');
    assert.ok(Array.isArray(ok.client));
    ok.done();
    // And openssl s_client sees the alert too.
    const accepted = o.sslAccept(listener).catch((e) => e);
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-alpn', 'nope'], { input: '' });
    assert.match(r.stdout.toString() + r.stderr.toString(), /no application protocol|alert number 120/i);
    assert.ok(o.isSslError(await accepted));
  });
});

test('openssl s_client -alpn gets our server\'s choice', async () => {
  const ctx = serverCtx();
  o.sslSetServerAlpn(ctx, [B('h2'), B('other')]);
  await withListener(ctx, async (listener, port) => {
    const accepted = o.sslAccept(listener);
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-alpn', 'other,h2'], { input: '' });
    assert.match(r.stdout.toString(), /ALPN protocol: h2/);
    const [sin, sout] = await accepted;
    assert.equal(o.sslGetAlpnSelected(sin).toString(), 'h2');
    sin.destroy();
    sout.destroy();
  });
  assert.throws(() => o.sslSetServerAlpn(ctx, [B('')]), RangeError);
  assert.throws(() => o.sslSetServerAlpn(ctx, [Buffer.alloc(256)]), RangeError);
  assert.throws(() => o.sslSetServerAlpn(o.sslMakeClientContext(), [B('x')]), TypeError);
});

test('SNI from our client: sslConnect sends the hostname, portsToSslPorts sends its hostname or none', async () => {
  const s = await startSServer(['-cert', cert('server-rsa-chain.pem'), '-key', cert('server-rsa.key'), '-servername', 'example.test', '-cert2', cert('sni-example-chain.pem'), '-key2', cert('sni-example.key')]);
  try {
    const [a, b] = await o.sslConnect('localhost', s.port);
    assert.deepEqual(o.sslPeerCertificateHostnames(a), ['localhost']);
    a.destroy();
    b.destroy();
    for (const [hostname, names] of [
      ['example.test', ['example.test', '*.example.test']],
      [null, ['localhost']],
    ]) {
      const socket = connect(s.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const [input, output] = await o.portsToSslPorts(socket, socket, { mode: 'connect', hostname, closeOriginal: true });
      assert.deepEqual(o.sslPeerCertificateHostnames(input), names, String(hostname));
      input.destroy();
      output.destroy();
    }
  } finally {
    s.kill();
  }
});

test('our server switches contexts by SNI (callback, fallback to the original), keeping ALPN and key logging', async () => {
  const lines = [];
  const a = serverCtx();
  const b = serverCtx('sni-example-chain.pem', 'sni-example.key');
  o.sslSetServerAlpn(a, [B('a-proto')]);
  o.sslSetServerAlpn(b, [B('b-proto')]);
  o.sslSetKeylogger(b, (line) => lines.push(line));
  const seen = [];
  const pick = (name) => {
    seen.push(name);
    return name.endsWith('example.test') ? b : null;
  };
  o.sslSetServerNameIdentificationCallback(a, pick);
  o.sslSetServerNameIdentificationCallback(b, pick);
  o.sslSealContext(a);
  o.sslSealContext(b);
  await withListener(a, async (listener, port) => {
    for (const [name, hostnames, check, alpn] of [
      ['www.example.test', ['example.test', '*.example.test'], true, 'b-proto'],
      ['spacebadger', ['localhost'], false, 'a-proto'],
      ['localhost', ['localhost'], true, 'a-proto'],
    ]) {
      const socket = connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const accepted = o.sslAccept(listener);
      const [cin, cout] = await o.portsToSslPorts(socket, socket, { mode: 'connect', hostname: name, alpn: [B('a-proto'), B('b-proto')], closeOriginal: true });
      const [sin, sout] = await accepted;
      assert.deepEqual(o.sslPeerCertificateHostnames(cin), hostnames, name);
      assert.equal(o.sslPeerCheckHostname(cin, name), check, name);
      assert.equal(o.sslGetAlpnSelected(cin).toString(), alpn);
      for (const p of [cin, cout, sin, sout]) p.destroy();
    }
    // openssl s_client gets the certificate the callback chose, or the default for an unknown name.
    for (const [name, cn] of [
      ['example.test', 'CN = example.test'],
      ['unknown.test', 'CN = localhost'],
    ]) {
      const accepted = o.sslAccept(listener).catch((e) => e);
      const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name], { input: '' });
      assert.match(r.stdout.toString(), new RegExp(`subject=.*${cn}`), name);
      const ports = await accepted;
      if (Array.isArray(ports)) for (const p of ports) p.destroy();
    }
  });
  assert.deepEqual(seen.slice(0, 3), ['www.example.test', 'spacebadger', 'localhost']);
  assert.ok(lines.length > 0, 'the switched-to context logged keys');
});

test('an SNI callback that throws fails that handshake with its message; the listener serves the next client', async () => {
  const ctx = serverCtx();
  const boom = new Error('no tenant named evil.test');
  o.sslSetServerNameIdentificationCallback(ctx, (name) => {
    if (name === 'evil.test') throw boom;
    return null;
  });
  await withListener(ctx, async (listener, port) => {
    const bad = await exchange(listener, port, o.sslMakeClientContext('auto'), { host: 'evil.test' }, '127.0.0.1');
    assert.ok(o.isSslError(bad.server), String(bad.server));
    assert.match(bad.server.message, /^sslAccept: accept failed \(server name callback failed: no tenant named evil\.test/);
    assert.equal(bad.server.cause, boom);
    assert.ok(o.isSslError(bad.client), 'the client gets the fatal alert');
    const good = await exchange(listener, port, o.sslMakeClientContext('auto'), {}, 'localhost');
    assert.ok(Array.isArray(good.client) && Array.isArray(good.server));
    good.done();
  });
});

const KEYLOG_LINE = /^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]{64,96}$/;

for (const protocol of ['tls13', 'tls12']) {
  test(`${protocol}: key logging on client and server contexts, identical lines, stopped by null`, async () => {
    const clientLines = [];
    const serverLines = [];
    const client = o.sslMakeClientContext(protocol);
    const server = serverCtx();
    o.sslSetKeylogger(client, (l) => clientLines.push(l.toString()));
    o.sslSetKeylogger(server, (l) => serverLines.push(l.toString()));
    await withListener(server, async (listener, port) => {
      const first = await exchange(listener, port, client);
      first.client[1].write('x');
      await readExactly(first.server[0], 1);
      first.done();
      assert.ok(clientLines.length >= (protocol === 'tls13' ? 5 : 1), String(clientLines.length));
      for (const l of clientLines) assert.match(l, KEYLOG_LINE);
      assert.ok(!clientLines.some((l) => l.includes('\n')));
      if (protocol === 'tls12') assert.ok(clientLines.every((l) => l.startsWith('CLIENT_RANDOM ')));
      assert.deepEqual([...serverLines].sort(), [...clientLines].sort());
      const before = [clientLines.length, serverLines.length];
      o.sslSetKeylogger(client, null);
      o.sslSetKeylogger(server, null);
      const second = await exchange(listener, port, client, { reuseSession: false });
      second.done();
      assert.deepEqual([clientLines.length, serverLines.length], before);
      // A logger that throws does not break the connection.
      o.sslSetKeylogger(client, () => {
        throw new Error('logger broke');
      });
      const third = await exchange(listener, port, client, { reuseSession: false });
      assert.ok(Array.isArray(third.client));
      third.done();
    });
  });
}
