// The conformance matrix: our client and our server against OpenSSL's s_server/s_client, GnuTLS's
// gnutls-serv/gnutls-cli, Python's ssl and node:tls; TLS 1.2 and 1.3; RSA and ECDSA; plain, mutual
// TLS, and ALPN + SNI. Every cell is a real transfer, checked by SHA-256 on both sides.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import * as o from '../../dist/index.js';
import { cert, freePort, waitForPort } from '../support/helpers.mjs';

export const PEERS = ['openssl', 'gnutls', 'python', 'node'];
export const ROLES = ['our-client', 'our-server'];
export const VERSIONS = ['tls12', 'tls13'];
export const KEYS = ['rsa', 'ecdsa'];
export const VARIANTS = ['plain', 'mtls', 'alpn+sni'];

const CHAIN = { rsa: 'server-rsa-chain.pem', ecdsa: 'server-ecdsa-chain.pem' };
const KEY = { rsa: 'server-rsa.key', ecdsa: 'server-ecdsa.key' };

/**
 * About `size` bytes of lowercase hex in lines of `line` characters plus a newline: line-based peers
 * (s_server -rev reverses each line; gnutls-cli sends what one read of its stdin gives) carry them faithfully.
 */
function payload(size, line = 64) {
  const lines = Math.max(1, Math.floor(size / (line + 1)));
  const rnd = randomBytes(Math.ceil((lines * line) / 2)).toString('hex');
  let out = '';
  for (let i = 0; i < lines; i++) out += rnd.slice(i * line, i * line + line) + '\n';
  return Buffer.from(out);
}
const reverseLines = (buf) =>
  Buffer.from(
    buf
      .toString()
      .split('\n')
      .slice(0, -1)
      .map((l) => [...l].reverse().join('') + '\n')
      .join(''),
  );
const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Writes `data` to `writable` with back-pressure while hashing `n` bytes from `readable`. */
function exchange(readable, writable, data, n, timeoutMs) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`timed out after ${got} of ${n} bytes`)), timeoutMs);
    readable.on('data', (c) => {
      const take = c.subarray(0, Math.max(0, n - got));
      h.update(take);
      got += take.length;
      if (got >= n) {
        clearTimeout(timer);
        resolve(h.digest('hex'));
      }
    });
    readable.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    readable.once('end', () => {
      clearTimeout(timer);
      reject(new Error(`the peer ended the stream after ${got} of ${n} bytes`));
    });
    (async () => {
      for (let off = 0; off < data.length; off += 16384) {
        if (!writable.write(data.subarray(off, off + 16384))) await new Promise((r) => writable.once('drain', r));
      }
    })().catch(reject);
  });
}

/** Resolves when `text` appears in a child's stdout or stderr. */
function waitFor(child, text, ms = 10000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`peer never printed ${text}: ${seen.slice(-200)}`)), ms);
    const on = (d) => {
      seen += d;
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
  });
}

const PY_SERVER = `
import socket, ssl, sys
port, chain, key, ver, mtls, ca, alpn = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == '1', sys.argv[6], sys.argv[7]
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_3 if ver == 'tls13' else ssl.TLSVersion.TLSv1_2
c.load_cert_chain(chain, key)
if mtls:
    c.verify_mode = ssl.CERT_REQUIRED
    c.load_verify_locations(ca)
if alpn != '-':
    c.set_alpn_protocols([alpn])
names = []
c.sni_callback = lambda s, name, ctx: names.append(name)
srv = socket.create_server(('127.0.0.1', int(port)))
print('READY', flush=True)
conn, _ = srv.accept()
s = c.wrap_socket(conn, server_side=True)
peer = s.getpeercert()
cn = dict(x[0] for x in peer['subject']).get('commonName', '-') if peer else '-'
print('SNI', ','.join(n or '-' for n in names) or '-', 'ALPN', s.selected_alpn_protocol() or '-', 'VERSION', s.version(), 'PEER', cn, flush=True)
while True:
    d = s.recv(65536)
    if not d:
        break
    s.sendall(d)
`;

const PY_CLIENT = `
import socket, ssl, sys, hashlib
port, ca, ver, cert, key, alpn, sni, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], int(sys.argv[8])
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_3 if ver == 'tls13' else ssl.TLSVersion.TLSv1_2
c.load_verify_locations(ca)
if cert != '-':
    c.load_cert_chain(cert, key)
if alpn != '-':
    c.set_alpn_protocols([alpn])
s = c.wrap_socket(socket.create_connection(('127.0.0.1', int(port))), server_hostname=sni)
data = sys.stdin.buffer.read(n)
h = hashlib.sha256()
got = 0
# Interleave: send a record, then take whatever echo has arrived (sending everything first would
# deadlock on big payloads; an SSLSocket must not be read and written from two threads).
view = memoryview(data)
for off in range(0, n, 16384):
    s.sendall(view[off:off + 16384])
    s.setblocking(False)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            h.update(d)
            got += len(d)
    except (ssl.SSLWantReadError, BlockingIOError):
        pass
    s.setblocking(True)
while got < n:
    d = s.recv(65536)
    if not d:
        break
    h.update(d)
    got += len(d)
print(h.hexdigest(), s.selected_alpn_protocol(), s.version(), flush=True)
s.close()
`;

function spawnPeer(cmd, args, { drainStdout = true } = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4096)));
  // Peers that log (gnutls-serv prints every echoed command) must not block on a full stdout pipe.
  if (drainStdout) child.stdout.on('data', (d) => out.length < 65536 && (out += d));
  child.on('error', (e) => {
    err += `cannot run ${cmd}: ${e.message}${e.code === 'ENOENT' ? ' (is it installed? .ci/run installs the test peers)' : ''}`;
  });
  child.stdin.on('error', () => {});
  return { child, stderr: () => err, stdout: () => out };
}

/**
 * Ends a peer process. A spawn that failed (the peer is not installed) has no pid: killing it then
 * would signal pid 0, this whole process group (the test run and its shell).
 */
function killPeer(child) {
  if (child?.pid) child.kill('SIGKILL');
}

/** Resolves once `re` matches what `get()` returns (output collected from a peer), or rejects after `ms`. */
async function until(get, re, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!re.test(get())) {
    if (Date.now() > end) throw new Error(`${what} not seen in peer output: ${get().slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return get().match(re);
}

/** Our client against a peer server. Returns a description of what was checked. */
async function ourClient(peer, version, key, variant, size, timeoutMs) {
  const port = peer === 'node' ? 0 : await freePort();
  const mtls = variant === 'mtls';
  const alpnSni = variant === 'alpn+sni';
  const tlsName = version === 'tls13' ? 'TLSv1.3' : 'TLSv1.2';
  let cleanup = () => {};
  let lineReversal = false;
  let nodePort = 0;
  let ready = null;
  let p = null; // the peer process
  const seenByNode = []; // what the node:tls server saw: { servername, protocol, peerCN, alpn }
  if (peer === 'openssl') {
    // s_server serves only the first certificate of -cert: the chain comes from -cert_chain / -build_chain.
    const leaf = CHAIN[key].replace('-chain', '');
    const args = ['s_server', '-rev', '-naccept', alpnSni ? '2' : '1', '-accept', `127.0.0.1:${port}`, '-cert', cert(leaf), '-key', cert(KEY[key]), version === 'tls13' ? '-tls1_3' : '-tls1_2'];
    if (!alpnSni) args.push('-cert_chain', cert('intermediate-ca.pem'));
    if (mtls) args.push('-Verify', '1', '-CAfile', cert('root-ca.pem'), '-verify_return_error');
    // With SNI "example.test" s_server switches to its second context (sni-example.pem); that context
    // has no ALPN callback, so ALPN is checked on a first connection (SNI "localhost") and the
    // switch on a second one.
    if (alpnSni) args.push('-alpn', 'http/1.1', '-servername', 'example.test', '-cert2', cert('sni-example.pem'), '-key2', cert('sni-example.key'), '-build_chain', '-chainCAfile', cert('ca-bundle.pem'), '-CAfile', cert('ca-bundle.pem'));
    p = spawnPeer('openssl', args);
    cleanup = () => killPeer(p.child);
    lineReversal = true;
    ready = waitFor(p.child, 'ACCEPT'); // s_server -naccept: a probe connection would use up an accept
  } else if (peer === 'gnutls') {
    const prio = `NORMAL:-VERS-ALL:+VERS-TLS1.${version === 'tls13' ? 3 : 2}`;
    const args = ['--echo', '-p', String(port), ...(mtls ? [] : ['-a']), '--x509certfile', cert(CHAIN[key]), '--x509keyfile', cert(KEY[key]), `--priority=${prio}`];
    if (mtls) args.push('-r', '--verify-client-cert', '--x509cafile', cert('root-ca.pem'));
    if (alpnSni) args.push('--alpn', 'http/1.1');
    p = spawnPeer('gnutls-serv', args);
    cleanup = () => killPeer(p.child);
  } else if (peer === 'python') {
    p = spawnPeer('python3', ['-c', PY_SERVER, String(port), cert(CHAIN[key]), cert(KEY[key]), version, mtls ? '1' : '0', cert('root-ca.pem'), alpnSni ? 'http/1.1' : '-']);
    cleanup = () => killPeer(p.child);
    ready = until(p.stdout, /READY/, 'READY', 10000);
  } else {
    const server = tls.createServer(
      {
        cert: readFileSync(cert(CHAIN[key])),
        key: readFileSync(cert(KEY[key])),
        minVersion: tlsName,
        maxVersion: tlsName,
        requestCert: mtls,
        rejectUnauthorized: mtls,
        ca: mtls ? readFileSync(cert('root-ca.pem')) : undefined,
        ALPNProtocols: alpnSni ? ['http/1.1'] : undefined,
      },
      (s) => {
        seenByNode.push({ servername: s.servername, protocol: s.getProtocol(), peerCN: s.getPeerCertificate()?.subject?.CN ?? null, alpn: s.alpnProtocol });
        s.on('error', () => {});
        s.pipe(s);
      },
    );
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    nodePort = server.address().port;
    cleanup = () => server.close();
  }
  const ports = [];
  try {
    const thePort = peer === 'node' ? nodePort : port;
    if (ready) await ready;
    else if (peer !== 'node') {
      await waitForPort(thePort, p.child, 10000).catch((e) => {
        throw new Error(`${e.message}: ${p.stderr().slice(0, 500)}`);
      });
    }
    const ctx = o.sslMakeClientContext(version, mtls ? { privateKey: ['pem', cert('client.key')], certificateChain: cert('client-chain.pem') } : {});
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslSetVerify(ctx, true);
    o.sslSetVerifyHostname(ctx, true);
    const options = alpnSni ? { alpn: [Buffer.from('x-unknown'), Buffer.from('http/1.1')], reuseSession: false } : { reuseSession: false };
    const [input, output] = await o.sslConnect('localhost', thePort, ctx, options);
    ports.push(input, output);
    const checks = [];
    if (o.sslProtocolVersion(input) !== version) throw new Error(`negotiated ${o.sslProtocolVersion(input)}`);
    if (!o.sslPeerVerified(input)) throw new Error('server not verified');
    if (!o.sslPeerCertificateHostnames(input).includes('localhost')) throw new Error('wrong server certificate');
    checks.push(version, 'server verified');
    if (alpnSni) {
      const alpn = o.sslGetAlpnSelected(input)?.toString();
      if (alpn !== 'http/1.1') throw new Error(`ALPN ${alpn}`);
      checks.push('alpn');
    }
    const data = payload(size);
    const expected = sha(lineReversal ? reverseLines(data) : data);
    const got = await exchange(input, output, data, data.length, timeoutMs);
    if (got !== expected) throw new Error('hash mismatch');
    // What the peer saw of us (where it tells).
    if (peer === 'python') {
      const [, sni, alpn, ver, cn] = await until(p.stdout, /SNI (\S+) ALPN (\S+) VERSION (\S+) PEER (\S+)/, 'the python server\'s report');
      if (ver !== tlsName) throw new Error(`python server saw ${ver}`);
      if (mtls && cn !== 'client.example.com') throw new Error(`python server saw client ${cn}`);
      if (alpnSni && (sni !== 'localhost' || alpn !== 'http/1.1')) throw new Error(`python server saw SNI ${sni}, ALPN ${alpn}`);
    } else if (peer === 'node') {
      const seen = seenByNode[0];
      if (seen?.protocol !== tlsName) throw new Error(`node server saw ${seen?.protocol}`);
      if (mtls && seen.peerCN !== 'client.example.com') throw new Error(`node server saw client ${seen.peerCN}`);
      if (alpnSni && (seen.servername !== 'localhost' || seen.alpn !== 'http/1.1')) throw new Error(`node server saw SNI ${seen.servername}, ALPN ${seen.alpn}`);
    } else if (peer === 'gnutls') {
      await until(p.stdout, new RegExp(`- Version: TLS1\\.${version === 'tls13' ? 3 : 2}`), 'the version');
      if (alpnSni) {
        await until(p.stdout, /- Given server name\[1\]: localhost/, 'SNI localhost');
        await until(p.stdout, /- Application protocol: http\/1\.1/, 'ALPN http/1.1');
      }
    }
    if (mtls) checks.push('client cert accepted');
    if (alpnSni && peer !== 'openssl') checks.push('sni');
    checks.push(`${data.length} bytes hashed`);
    if (alpnSni && peer === 'openssl') {
      // The second connection (s_server serves one at a time: close the first): SNI "example.test"
      // makes s_server present the example.test certificate.
      for (const pt of ports.splice(0)) pt.destroy();
      const [sin, sout] = await o.sslClientUpgrade(await openTcp(thePort), { context: ctx, host: 'example.test', timeout: timeoutMs });
      ports.push(sin, sout);
      if (!o.sslPeerVerified(sin)) throw new Error('example.test not verified');
      if (!o.sslPeerCertificateHostnames(sin).includes('example.test')) throw new Error(`SNI not honoured: ${o.sslPeerCertificateHostnames(sin)}`);
      const small = payload(4096);
      if ((await exchange(sin, sout, small, small.length, timeoutMs)) !== sha(reverseLines(small))) throw new Error('hash mismatch (SNI connection)');
      checks.push('sni (certificate switched)');
    }
    return checks.join(', ');
  } finally {
    for (const pt of ports) pt.destroy();
    cleanup();
  }
}

function openTcp(port) {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** A peer client against our (echoing) server. */
async function ourServer(peer, version, key, variant, size, timeoutMs) {
  const mtls = variant === 'mtls';
  const alpnSni = variant === 'alpn+sni';
  const ctx = o.sslMakeServerContext(version, { certificateChain: cert(CHAIN[key]), privateKey: ['pem', cert(KEY[key])] });
  const sniNames = [];
  // With ALPN + SNI the peer asks for "example.test" and verifies that name: it passes only if our
  // SNI callback switched to the example.test context.
  const name = alpnSni ? 'example.test' : 'localhost';
  if (mtls) {
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslSetVerify(ctx, true);
  }
  if (alpnSni) {
    o.sslSetServerAlpn(ctx, [Buffer.from('http/1.1')]);
    const sniCtx = o.sslMakeServerContext(version, { certificateChain: cert('sni-example-chain.pem'), privateKey: ['pem', cert('sni-example.key')] });
    o.sslSetServerAlpn(sniCtx, [Buffer.from('http/1.1')]);
    o.sslSetServerNameIdentificationCallback(ctx, (n) => {
      sniNames.push(n);
      return n === 'example.test' ? sniCtx : null;
    });
  }
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  const port = o.sslListenerPort(listener);
  // gnutls-cli writes what it receives to its stdout one byte per write(2): past 4 MiB its cell
  // would take minutes, so it gets at most 4 MiB (in long lines: it sends a record per read of its stdin).
  const data = peer === 'gnutls' ? payload(Math.min(size, 4 << 20), 4095) : payload(size);
  const expected = sha(data);
  const served = o.sslAccept(listener, { timeout: timeoutMs }).then(([input, output]) => {
    const info = {
      version: o.sslProtocolVersion(input),
      verified: o.sslPeerVerified(input),
      subject: o.sslPeerSubjectName(input)?.toString() ?? null,
      alpn: o.sslGetAlpnSelected(input)?.toString() ?? null,
    };
    input.pipe(output);
    return { info, ports: [input, output] };
  });
  served.catch(() => {});
  let child = null;
  try {
    let got;
    if (peer === 'node') {
      const c = tls.connect({
        port,
        host: '127.0.0.1',
        servername: name,
        ca: readFileSync(cert('root-ca.pem')),
        minVersion: version === 'tls13' ? 'TLSv1.3' : 'TLSv1.2',
        maxVersion: version === 'tls13' ? 'TLSv1.3' : 'TLSv1.2',
        ...(mtls ? { cert: readFileSync(cert('client-chain.pem')), key: readFileSync(cert('client.key')) } : {}),
        ...(alpnSni ? { ALPNProtocols: ['http/1.1'] } : {}),
      });
      await new Promise((r, j) => {
        c.once('secureConnect', r);
        c.once('error', j);
      });
      if (alpnSni && c.alpnProtocol !== 'http/1.1') throw new Error(`node client saw ALPN ${c.alpnProtocol}`);
      got = await exchange(c, c, data, data.length, timeoutMs);
      c.destroy();
    } else if (peer === 'python') {
      const p = spawnPeer('python3', ['-c', PY_CLIENT, String(port), cert('root-ca.pem'), version, mtls ? cert('client-chain.pem') : '-', mtls ? cert('client.key') : '-', alpnSni ? 'http/1.1' : '-', name, String(data.length)]);
      child = p.child;
      p.child.stdin.end(data);
      const out = await new Promise((resolve, reject) => {
        let s = '';
        const timer = setTimeout(() => reject(new Error(`python client timed out: ${p.stderr()}`)), timeoutMs);
        p.child.stdout.on('data', (d) => (s += d));
        p.child.on('close', () => {
          clearTimeout(timer);
          resolve(s);
        });
      });
      const [hash, alpn, ver] = out.trim().split(' ');
      if (ver !== (version === 'tls13' ? 'TLSv1.3' : 'TLSv1.2')) throw new Error(`python client saw ${ver}: ${p.stderr().slice(-300)}`);
      if (alpnSni && alpn !== 'http/1.1') throw new Error(`python saw ALPN ${alpn}`);
      got = hash;
    } else {
      const args =
        peer === 'openssl'
          ? ['s_client', '-quiet', '-connect', `127.0.0.1:${port}`, version === 'tls13' ? '-tls1_3' : '-tls1_2', '-CAfile', cert('root-ca.pem'), '-verify_return_error', '-verify_hostname', name, '-servername', name]
          : ['-p', String(port), '127.0.0.1', '--logfile=/dev/null', '--x509cafile', cert('root-ca.pem'), '--verify-hostname', name, '--sni-hostname', name, `--priority=NORMAL:-VERS-ALL:+VERS-TLS1.${version === 'tls13' ? 3 : 2}`];
      if (mtls) {
        // s_client sends only the first certificate of -cert: the intermediate goes in -cert_chain.
        args.push(...(peer === 'openssl' ? ['-cert', cert('client.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('client.key')] : ['--x509certfile', cert('client-chain.pem'), '--x509keyfile', cert('client.key')]));
      }
      if (alpnSni) args.push(...(peer === 'openssl' ? ['-alpn', 'http/1.1'] : ['--alpn', 'http/1.1']));
      const p = spawnPeer(peer === 'openssl' ? 'openssl' : 'gnutls-cli', args);
      child = p.child;
      // A peer that gives up (a failed handshake) fails the cell at once, with what it said.
      const exited = new Promise((_, reject) => p.child.once('exit', (code) => reject(new Error(`${peer} client exited (${code})`))));
      exited.catch(() => {});
      got = await Promise.race([exchange(p.child.stdout, p.child.stdin, data, data.length, timeoutMs), exited]).catch((e) => {
        throw new Error(`${e.message}: ${p.stderr().slice(-300)}`);
      });
    }
    if (got !== expected) throw new Error('hash mismatch');
    const { info, ports } = await served;
    for (const pt of ports) pt.destroy();
    if (info.version !== version) throw new Error(`negotiated ${info.version}`);
    const checks = [version];
    if (mtls) {
      if (!info.verified) throw new Error('client not verified');
      if (!/CN=client\.example\.com/.test(info.subject ?? '')) throw new Error(`client subject ${info.subject}`);
      checks.push('client verified');
    }
    if (alpnSni) {
      if (info.alpn !== 'http/1.1') throw new Error(`ALPN ${info.alpn}`);
      if (!sniNames.includes('example.test')) throw new Error(`SNI ${JSON.stringify(sniNames)}`);
      checks.push('alpn', 'sni (certificate switched)');
    }
    checks.push(`${data.length} bytes hashed`);
    return checks.join(', ');
  } finally {
    killPeer(child);
    await o.sslClose(listener);
  }
}

/** Every cell of the matrix. */
export function cells() {
  const out = [];
  for (const peer of PEERS) for (const role of ROLES) for (const version of VERSIONS) for (const key of KEYS) for (const variant of VARIANTS) out.push({ peer, role, version, key, variant });
  return out;
}

/** A cell's name, e.g. "gnutls our-server tls13 ecdsa mtls". */
export const cellName = (c) => `${c.peer} ${c.role} ${c.version} ${c.key} ${c.variant}`;

/** Runs one cell `reps` times (each a fresh peer and connection); resolves { ...cell, ok, detail }. */
export async function runCell(cell, { size = 256 * 1024, timeoutMs = 20000, reps = 1 } = {}) {
  const fn = cell.role === 'our-client' ? ourClient : ourServer;
  let detail = '';
  for (let i = 0; i < reps; i++) {
    try {
      detail = await fn(cell.peer, cell.version, cell.key, cell.variant, size, timeoutMs);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return { ...cell, ok: false, detail: reps > 1 ? `run ${i + 1} of ${reps}: ${why}` : why };
    }
  }
  return { ...cell, ok: true, detail: reps > 1 ? `${detail} (× ${reps})` : detail };
}

/** Formats results as a Markdown table. */
export function table(results) {
  const lines = ['| peer | role | version | key | variant | result | checked |', '|---|---|---|---|---|---|---|'];
  for (const r of results) lines.push(`| ${r.peer} | ${r.role} | ${r.version} | ${r.key} | ${r.variant} | ${r.ok ? 'PASS' : 'FAIL'} | ${r.detail.replace(/\|/g, '/').replace(/\n/g, ' ')} |`);
  const passed = results.filter((r) => r.ok).length;
  lines.push('', `${passed}/${results.length} cells passed`);
  return lines.join('\n');
}
