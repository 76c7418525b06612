// Every exported procedure that takes a port, called on ports whose connection is closed (in several
// ways), in a child process under --expose-gc with forced gc(): the child must exit 0 with no signal
// (a NULL or freed SSL* handed to OpenSSL is a SIGSEGV), and every call must answer an SslError
// ERR_SSL_CLOSED naming the procedure, or the value the seed documents for a closed port.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import * as o from '../dist/index.js';
import * as sha1m from '../dist/sha1.js';
import * as md5m from '../dist/md5.js';
import * as libcryptoM from '../dist/libcrypto.js';
import * as libsslM from '../dist/libssl.js';
import * as legacyM from '../dist/legacy.js';
import { cert, PassThrough } from './support/helpers.mjs';

const closed = (name) => ({ kind: 'closed', name });
/**
 * Each exported procedure that takes a port (an SSL port, or a Readable the hashes consume), with the
 * calls made on a closed port and what each must answer. A falsy value is passed to the verification
 * setters in every form the seed allows (`#f` and friends): each reached SSL_set_verify with NULL.
 */
const PORT_PROCEDURES = {
  sslAbandonPort: [{ call: (p) => o.sslAbandonPort(p), expect: { kind: 'value', value: undefined } }],
  sslAddresses: [
    { call: (p) => o.sslAddresses(p), expect: closed('sslAddresses') },
    { call: (p) => o.sslAddresses(p, true), expect: closed('sslAddresses') },
  ],
  sslPortFileno: [{ call: (p) => o.sslPortFileno(p), expect: closed('sslPortFileno') }],
  sslChannelBinding: ['tls-exporter', 'tls-unique', 'tls-server-end-point'].map((t) => ({ call: (p) => o.sslChannelBinding(p, t), expect: closed('sslChannelBinding') })),
  sslDefaultChannelBinding: [{ call: (p) => o.sslDefaultChannelBinding(p), expect: closed('sslDefaultChannelBinding') }],
  sslCipherName: [{ call: (p) => o.sslCipherName(p), expect: closed('sslCipherName') }],
  sslGetAlpnSelected: [{ call: (p) => o.sslGetAlpnSelected(p), expect: closed('sslGetAlpnSelected') }],
  sslProtocolVersion: [{ call: (p) => o.sslProtocolVersion(p), expect: closed('sslProtocolVersion') }],
  sslSessionReused: [{ call: (p) => o.sslSessionReused(p), expect: closed('sslSessionReused') }],
  sslPeerCertificate: [{ call: (p) => o.sslPeerCertificate(p), expect: closed('sslPeerCertificate') }],
  sslPeerCertificateHostnames: [{ call: (p) => o.sslPeerCertificateHostnames(p), expect: closed('sslPeerCertificateHostnames') }],
  sslPeerCheckHostname: [{ call: (p) => o.sslPeerCheckHostname(p, 'localhost'), expect: closed('sslPeerCheckHostname') }],
  sslPeerIssuerName: [{ call: (p) => o.sslPeerIssuerName(p), expect: closed('sslPeerIssuerName') }],
  sslPeerSubjectName: [{ call: (p) => o.sslPeerSubjectName(p), expect: closed('sslPeerSubjectName') }],
  sslPeerVerified: [{ call: (p) => o.sslPeerVerified(p), expect: closed('sslPeerVerified') }],
  sslSetVerify: [false, 0, null, undefined, '', true, 1].map((v) => ({ call: (p) => o.sslSetVerify(p, v), expect: closed('sslSetVerify') })),
  sslTryVerify: [false, 0, null, undefined, '', true, 1].map((v) => ({ call: (p) => o.sslTryVerify(p, v), expect: closed('sslTryVerify') })),
  isSslPort: [{ call: (p) => o.isSslPort(p), expect: { kind: 'value', value: true } }],
  // Web streams over closed ports: made (no OpenSSL involved); reading one ends or errors, never crashes.
  sslPortsToWebStreams: [{ call: (p, pair) => o.sslPortsToWebStreams(pair), expect: { kind: 'object' } }],
  // Hashing a closed input port (what it answers is issue 18's, not checked here): the digest of what
  // was left (nothing), or a rejection; never a crash.
  sha1: [{ call: (p) => sha1m.sha1(p), expect: { kind: 'settles' }, input: true }],
  sha1Bytes: [{ call: (p) => sha1m.sha1Bytes(p), expect: { kind: 'settles' }, input: true }],
  md5: [{ call: (p) => md5m.md5(p), expect: { kind: 'settles' }, input: true }],
  md5Bytes: [{ call: (p) => md5m.md5Bytes(p), expect: { kind: 'settles' }, input: true }],
  // A socket view over closed ports: every TLSSocket-style query answers (a value or an SslError), never a crash.
  sslPortsToSocket: [{
    call: async (p, pair) => {
      const sock = o.sslPortsToSocket(pair[0], pair[1]);
      sock.on('error', () => {});
      const queries = [
        () => sock.getPeerCertificate(), () => sock.getPeerCertificate(true), () => sock.getPeerX509Certificate?.(),
        () => sock.getProtocol(), () => sock.getCipher(), () => sock.exportKeyingMaterial(32, 'EXPORTER-test'),
        () => sock.isSessionReused(), () => sock.remoteAddress, () => sock.localPort, () => sock.address(),
        () => sock.authorized, () => sock.alpnProtocol, () => sock.setNoDelay(true), () => sock.setKeepAlive(true),
        () => sock.setTimeout(10), () => sock.unref(), () => sock.ref(), () => sock.write('x'), () => sock.end(),
      ];
      for (const q of queries) {
        try {
          q();
        } catch (e) {
          if (!(e instanceof o.SslError) && !(e instanceof TypeError) && !(e instanceof RangeError)) throw e;
        }
      }
      sock.destroy();
      await new Promise((r) => setImmediate(r));
      return 'answered';
    },
    expect: { kind: 'value', value: 'answered' },
  }],
  // Closed SSL ports as the transport of a new connection (TLS in TLS): the handshake fails.
  portsToSslPorts: [{ call: (p, pair) => o.portsToSslPorts(pair[0], pair[1], { mode: 'connect', timeout: 5000 }), expect: { kind: 'rejects' } }],
};

/** Exports that take no port (contexts, listeners, values, sockets, bytes). */
const OTHER_EXPORTS = new Set([
  'SslContext', 'SslError', 'SslInputPort', 'SslListener', 'SslOutputPort', 'defaultClientSslContext', 'insecureClientSslContext',
  'isSslClientContext', 'isSslError', 'isSslListener', 'isSslServerContext', 'makeClientSslContext', 'makeServerSslContext',
  'opensslInfo', 'sslAccept', 'sslAvailable', 'sslClientUpgrade', 'sslClose', 'sslConnect', 'sslDefaultVerifySources',
  'sslDh4096ParamBytes', 'sslListen', 'sslListenerAcceptReady', 'sslListenerFileno', 'sslListenerPort', 'sslLoadCertificateChain',
  'sslLoadDefaultVerifySources', 'sslLoadFailReason', 'sslLoadPrivateKey', 'sslLoadSuggestedCertificateAuthorities',
  'sslLoadVerifyRootCertificates', 'sslLoadVerifySource', 'sslMakeClientContext', 'sslMakeServerContext', 'sslMaxClientProtocol',
  'sslMaxServerProtocol', 'sslObjectCounts', 'sslSealContext', 'sslSecureClientContext', 'sslServerContextEnableDhe',
  'sslServerContextEnableEcdh', 'sslServerContextEnableEcdhe', 'sslServerUpgrade', 'sslSetCiphers', 'sslSetKeylogger',
  'sslSetServerAlpn', 'sslSetServerNameIdentificationCallback', 'sslSetVerifyHostname', 'supportedClientProtocols',
  'supportedServerProtocols', 'bytesToHexString', 'hexStringToBytes', 'legacyLoaded', 'libssl', 'libsslLoadFailReason',
  'libcrypto', 'libcryptoLoadFailReason', 'opensslLibVersions',
  // Node integrations: they make connections (sslPortsToSocket, which takes ports, is tested above).
  'DEFAULT_MAX_HANDSHAKES', 'SslAgent', 'SslSocket', 'sslCreateConnection', 'sslServe', 'sslSocketConnect', 'sslUndiciConnect',
]);

// ---------------------------------------------------------------- the child

function serverContext() {
  return o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
}

const settle = () => new Promise((r) => setImmediate(r));
async function gcHard() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await settle();
  }
}
const isClosed = (p) => p.destroyed || p.closed;
async function untilClosed(ports) {
  for (const p of ports) if (!isClosed(p)) await once(p, 'close');
}
const quiet = (ports) => ports.forEach((p) => p.on('error', () => {}));

/** TCP pairs through a listener: `[client ports, server ports, listener]`. */
async function tcpPair(listener, clientContext = o.sslMakeClientContext()) {
  const accepted = o.sslAccept(listener);
  const c = await o.sslConnect('localhost', o.sslListenerPort(listener), clientContext);
  const s = await accepted;
  quiet([...c, ...s]);
  return [c, s];
}

async function wrappedPair() {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const [s, c] = await Promise.all([
    o.portsToSslPorts(ab, ba, { mode: 'accept', context: serverContext() }),
    o.portsToSslPorts(ba, ab, { mode: 'connect' }),
  ]);
  quiet([...c, ...s]);
  return { c, s, streams: [ab, ba] };
}

/** Ways of closing a connection; each resolves the closed `[input, output]` pairs to call procedures on. */
const SCENARIOS = {
  async 'both ports destroyed'(listener) {
    const [c, s] = await tcpPair(listener);
    for (const p of [...c, ...s]) p.destroy();
    await untilClosed([...c, ...s]);
    return [c, s];
  },
  async 'the peer went away (socket reset by the peer)'(listener) {
    const client = o.sslMakeClientContext();
    const accepted = o.sslAccept(listener);
    const c = await o.sslConnect('localhost', o.sslListenerPort(listener), client);
    const s = await accepted;
    quiet([...c, ...s]);
    // The server end is dropped without a word: the client's socket sees the reset (or its end).
    for (const p of s) p.destroy();
    await untilClosed(s);
    c[0].resume();
    await Promise.race([once(c[0], 'close'), once(c[0], 'end')]);
    for (const p of c) p.destroy();
    await untilClosed(c);
    return [c, s];
  },
  async 'the peer went away (socket closed by the peer, ports left open)'(listener) {
    const [c, s] = await tcpPair(listener);
    for (const p of s) p.destroy();
    c[0].resume();
    await once(c[0], 'end');
    // The ports are still open: closing them now releases the connection.
    c[1].end();
    await untilClosed(c);
    return [c];
  },
  async 'portsToSslPorts pair whose streams were destroyed'() {
    const { c, s, streams } = await wrappedPair();
    for (const st of streams) st.destroy();
    await settle();
    for (const p of [...c, ...s]) p.destroy();
    await untilClosed([...c, ...s]);
    return [c, s];
  },
  async 'portsToSslPorts pair with the ports destroyed'() {
    const { c, s } = await wrappedPair();
    for (const p of [...c, ...s]) p.destroy();
    await untilClosed([...c, ...s]);
    return [c, s];
  },
  async 'both ports abandoned'(listener) {
    const [c, s] = await tcpPair(listener);
    for (const p of [...c, ...s]) o.sslAbandonPort(p);
    c[0].resume();
    s[0].resume();
    await untilClosed([...c, ...s]);
    return [c, s];
  },
  async 'TLS 1.2, a failed live verification'(listener12) {
    const [c, s] = await tcpPair(listener12);
    // The client presents no certificate: requiring one now fails the connection.
    c[0].resume();
    await o.sslSetVerify(s[0], true).catch(() => {});
    for (const p of [...c, ...s]) p.destroy();
    await untilClosed([...c, ...s]);
    return [c, s];
  },
};

function check(expect, outcome) {
  switch (expect.kind) {
    case 'closed': {
      const e = outcome.error;
      if (!e) return `answered ${String(outcome.value)} instead of an SslError`;
      if (!o.isSslError(e)) return `threw ${e?.constructor?.name}: ${e?.message}`;
      if (e.code !== 'ERR_SSL_CLOSED') return `code ${e.code} (${e.message})`;
      if (!e.message.startsWith(`${expect.name}:`)) return `message does not start with ${expect.name}: ${e.message}`;
      return null;
    }
    case 'value':
      return !outcome.error && Object.is(outcome.value, expect.value) ? null : `expected ${String(expect.value)}, got ${outcome.error ?? outcome.value}`;
    case 'object':
      return !outcome.error && outcome.value && typeof outcome.value === 'object' ? null : `expected an object, got ${outcome.error ?? outcome.value}`;
    case 'settles':
      return outcome.async && (outcome.error instanceof Error || outcome.value !== undefined) ? null : `expected a digest or a rejection, got ${outcome.error ?? outcome.value}`;
    case 'rejects':
      return outcome.error instanceof Error && outcome.async ? null : `expected a rejection, got ${outcome.error ?? outcome.value}`;
    default:
      return 'bad expectation';
  }
}

async function callOne(c, port, pair) {
  try {
    const v = c.call(port, pair);
    if (v && typeof v.then === 'function') {
      try {
        return { value: await v, async: true };
      } catch (error) {
        return { error, async: true };
      }
    }
    return { value: v };
  } catch (error) {
    return { error };
  }
}

async function child(name) {
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverContext());
  const listener12 = await o.sslListen(0, 5, false, '127.0.0.1', o.sslMakeServerContext('tls12', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] }));
  const pairs = await SCENARIOS[name](name.startsWith('TLS 1.2') ? listener12 : listener);
  await gcHard();
  const failures = [];
  let calls = 0;
  for (const [proc, list] of Object.entries(PORT_PROCEDURES)) {
    for (const c of list) {
      for (const pair of pairs) {
        for (const port of c.input ? [pair[0]] : pair) {
          const outcome = await callOne(c, port, pair);
          calls++;
          const why = check(c.expect, outcome);
          if (why) failures.push(`${proc} on a closed ${port === pair[0] ? 'input' : 'output'} port: ${why}`);
          globalThis.gc();
        }
      }
    }
    await gcHard();
  }
  await o.sslClose(listener);
  await o.sslClose(listener12);
  await gcHard();
  const counts = o.sslObjectCounts();
  process.stdout.write(JSON.stringify({ calls, failures, counts }) + '\n');
}

if (process.env.CLOSED_PORTS_CHILD) {
  await child(process.env.CLOSED_PORTS_CHILD);
} else {
  test('the list of port procedures covers every export', () => {
    const names = new Set();
    for (const m of [o, sha1m, md5m, libcryptoM, libsslM, legacyM]) for (const k of Object.keys(m)) names.add(k);
    const unknown = [...names].filter((k) => !(k in PORT_PROCEDURES) && !OTHER_EXPORTS.has(k));
    assert.deepEqual(unknown, [], 'a new export: add it to PORT_PROCEDURES (it takes a port) or OTHER_EXPORTS');
    for (const k of Object.keys(PORT_PROCEDURES)) assert.ok(names.has(k), `${k} is not exported`);
  });

  for (const name of Object.keys(SCENARIOS)) {
    test(`every port procedure on closed ports (${name}): no crash, ERR_SSL_CLOSED or the documented value`, () => {
      const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], {
        env: { ...process.env, CLOSED_PORTS_CHILD: name },
        encoding: 'utf8',
        timeout: 90_000,
      });
      assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
      assert.equal(r.status, 0, `the child exited ${r.status}: ${r.stderr}`);
      const line = r.stdout.trim().split('\n').pop();
      const report = JSON.parse(line);
      assert.deepEqual(report.failures, []);
      assert.ok(report.calls >= 60, `only ${report.calls} calls made`);
      // Every connection was freed (contexts may live on in caches), and no certificate leaked.
      assert.deepEqual([report.counts.SSL, report.counts.BIO, report.counts.X509], [0, 0, 0], `objects left: ${JSON.stringify(report.counts)}`);
    });
  }
}

