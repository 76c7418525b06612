// The conformance matrix: our client and our server against OpenSSL's s_server/s_client, GnuTLS's
// gnutls-serv/gnutls-cli, Python's ssl and node:tls; TLS 1.2 and 1.3; RSA and ECDSA; plain, mutual
// TLS, and ALPN + SNI. Every cell is a real transfer, checked by SHA-256 on both sides.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import * as o from '../../dist/index.js';
import { cert, freePort } from '../support/helpers.mjs';

export const PEERS = ['openssl', 'gnutls', 'python', 'node'];
export const ROLES = ['our-client', 'our-server'];
export const VERSIONS = ['tls12', 'tls13'];
export const KEYS = ['rsa', 'ecdsa'];
export const VARIANTS = ['plain', 'mtls', 'alpn+sni'];

const CHAIN = { rsa: 'server-rsa-chain.pem', ecdsa: 'server-ecdsa-chain.pem' };
const KEY = { rsa: 'server-rsa.key', ecdsa: 'server-ecdsa.key' };

/** `size` bytes of lowercase hex in 64-character lines (line-based peers echo them faithfully). */
function payload(size) {
  const lines = Math.max(1, Math.floor(size / 65));
  const rnd = randomBytes(lines * 32).toString('hex');
  let out = '';
  for (let i = 0; i < lines; i++) out += rnd.slice(i * 64, i * 64 + 64) + '\n';
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

function waitPort(port, ms = 10000) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`port ${port} never opened`));
        else setTimeout(tryOnce, 25);
      });
    };
    tryOnce();
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

function spawnPeer(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.on('error', () => {});
  child.stdin.on('error', () => {});
  return { child, stderr: () => err };
}

/** Our client against a peer server. Returns a description of what was checked. */
async function ourClient(peer, version, key, variant, size, timeoutMs) {
  const port = peer === 'node' ? 0 : await freePort();
  const mtls = variant === 'mtls';
  const alpnSni = variant === 'alpn+sni';
  let cleanup = () => {};
  let lineReversal = false;
  let nodePort = 0;
  let ready = null;
  if (peer === 'openssl') {
    // s_server serves only the first certificate of -cert: the chain comes from -cert_chain / -build_chain.
    const leaf = CHAIN[key].replace('-chain', '');
    const args = ['s_server', '-rev', '-naccept', '1', '-accept', `127.0.0.1:${port}`, '-cert', cert(leaf), '-key', cert(KEY[key]), version === 'tls13' ? '-tls1_3' : '-tls1_2'];
    if (!alpnSni) args.push('-cert_chain', cert('intermediate-ca.pem'));
    if (mtls) args.push('-Verify', '1', '-CAfile', cert('root-ca.pem'), '-verify_return_error');
    if (alpnSni) args.push('-alpn', 'http/1.1', '-servername', 'example.test', '-cert2', cert('sni-example.pem'), '-key2', cert('sni-example.key'), '-build_chain', '-chainCAfile', cert('ca-bundle.pem'), '-CAfile', cert('ca-bundle.pem'));
    const p = spawnPeer('openssl', args);
    cleanup = () => p.child.kill('SIGKILL');
    lineReversal = true;
    ready = waitFor(p.child, 'ACCEPT'); // s_server -naccept 1: a probe connection would use up its one accept
  } else if (peer === 'gnutls') {
    const prio = `NORMAL:-VERS-ALL:+VERS-TLS1.${version === 'tls13' ? 3 : 2}`;
    const args = ['--echo', '-p', String(port), ...(mtls ? [] : ['-a']), '--x509certfile', cert(CHAIN[key]), '--x509keyfile', cert(KEY[key]), `--priority=${prio}`];
    if (mtls) args.push('-r', '--verify-client-cert', '--x509cafile', cert('root-ca.pem'));
    if (alpnSni) args.push('--alpn', 'http/1.1');
    const p = spawnPeer('gnutls-serv', args);
    cleanup = () => p.child.kill('SIGKILL');
  } else if (peer === 'python') {
    const p = spawnPeer('python3', ['-c', PY_SERVER, String(port), cert(CHAIN[key]), cert(KEY[key]), version, mtls ? '1' : '0', cert('root-ca.pem'), alpnSni ? 'http/1.1' : '-']);
    cleanup = () => p.child.kill('SIGKILL');
    ready = waitFor(p.child, 'READY');
  } else {
    const server = tls.createServer(
      {
        cert: readFileSync(cert(CHAIN[key])),
        key: readFileSync(cert(KEY[key])),
        minVersion: version === 'tls13' ? 'TLSv1.3' : 'TLSv1.2',
        maxVersion: version === 'tls13' ? 'TLSv1.3' : 'TLSv1.2',
        requestCert: mtls,
        rejectUnauthorized: mtls,
        ca: mtls ? readFileSync(cert('root-ca.pem')) : undefined,
        ALPNProtocols: alpnSni ? ['http/1.1'] : undefined,
      },
      (s) => {
        s.on('error', () => {});
        s.pipe(s);
      },
    );
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    nodePort = server.address().port;
    cleanup = () => server.close();
  }
  try {
    const thePort = peer === 'node' ? nodePort : port;
    if (ready) await ready;
    else if (peer !== 'node') await waitPort(thePort);
    const ctx = o.sslMakeClientContext(version, mtls ? { privateKey: ['pem', cert('client.key')], certificateChain: cert('client-chain.pem') } : {});
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslSetVerify(ctx, true);
    o.sslSetVerifyHostname(ctx, true);
    const host = alpnSni && peer === 'openssl' ? 'example.test' : 'localhost';
    const options = alpnSni ? { alpn: [Buffer.from('x-unknown'), Buffer.from('http/1.1')], host, reuseSession: false } : { reuseSession: false };
    const [input, output] = await o.sslConnect(alpnSni && peer === 'openssl' ? 'example.test' : 'localhost', thePort, ctx, options).catch(async (e) => {
      // 'example.test' does not resolve: connect by address, verify and send SNI for the name.
      if (e.code !== 'ENOTFOUND' && e.code !== 'EAI_AGAIN') throw e;
      return o.sslClientUpgrade(await openTcp(thePort), { context: ctx, host, timeout: timeoutMs });
    });
    const checks = [];
    if (o.sslProtocolVersion(input) !== version) throw new Error(`negotiated ${o.sslProtocolVersion(input)}`);
    if (!o.sslPeerVerified(input)) throw new Error('server not verified');
    checks.push(version, 'verified');
    if (alpnSni) {
      const alpn = o.sslGetAlpnSelected(input)?.toString();
      // s_server's second (SNI) context has no ALPN callback: there the cell checks SNI only.
      if (peer !== 'openssl') {
        if (alpn !== 'http/1.1') throw new Error(`ALPN ${alpn}`);
        checks.push('alpn');
      } else if (alpn !== undefined) throw new Error(`ALPN ${alpn} from s_server's SNI context`);
      if (peer === 'openssl') {
        if (!o.sslPeerCertificateHostnames(input).includes('example.test')) throw new Error('SNI not honoured');
        checks.push('sni');
      }
    }
    const data = payload(size);
    const expected = sha(lineReversal ? reverseLines(data) : data);
    const got = await exchange(input, output, data, data.length, timeoutMs);
    if (got !== expected) throw new Error('hash mismatch');
    checks.push(`${data.length} bytes hashed`);
    input.destroy();
    output.destroy();
    return checks.join(', ');
  } finally {
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
  if (mtls) {
    o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
    o.sslSetVerify(ctx, true);
  }
  if (alpnSni) {
    o.sslSetServerAlpn(ctx, [Buffer.from('http/1.1')]);
    o.sslSetServerNameIdentificationCallback(ctx, (name) => {
      sniNames.push(name);
      return null;
    });
  }
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  const port = o.sslListenerPort(listener);
  const data = payload(size);
  const expected = sha(data);
  const served = o.sslAccept(listener, { timeout: timeoutMs }).then(([input, output]) => {
    const info = {
      version: o.sslProtocolVersion(input),
      verified: o.sslPeerVerified(input),
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
        servername: 'localhost',
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
      got = await exchange(c, c, data, data.length, timeoutMs);
      c.destroy();
    } else if (peer === 'python') {
      const p = spawnPeer('python3', ['-c', PY_CLIENT, String(port), cert('root-ca.pem'), version, mtls ? cert('client-chain.pem') : '-', mtls ? cert('client.key') : '-', alpnSni ? 'http/1.1' : '-', 'localhost', String(data.length)]);
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
      const [hash, alpn] = out.trim().split(' ');
      if (alpnSni && alpn !== 'http/1.1') throw new Error(`python saw ALPN ${alpn}`);
      got = hash;
    } else {
      const args =
        peer === 'openssl'
          ? ['s_client', '-quiet', '-connect', `127.0.0.1:${port}`, version === 'tls13' ? '-tls1_3' : '-tls1_2', '-CAfile', cert('root-ca.pem'), '-verify_return_error', '-verify_hostname', 'localhost', '-servername', 'localhost']
          : ['-p', String(port), '127.0.0.1', '--logfile=/dev/null', '--x509cafile', cert('root-ca.pem'), '--verify-hostname', 'localhost', '--sni-hostname', 'localhost', `--priority=NORMAL:-VERS-ALL:+VERS-TLS1.${version === 'tls13' ? 3 : 2}`];
      if (mtls) {
        // s_client sends only the first certificate of -cert: the intermediate goes in -cert_chain.
        args.push(...(peer === 'openssl' ? ['-cert', cert('client.pem'), '-cert_chain', cert('intermediate-ca.pem'), '-key', cert('client.key')] : ['--x509certfile', cert('client-chain.pem'), '--x509keyfile', cert('client.key')]));
      }
      if (alpnSni) args.push(...(peer === 'openssl' ? ['-alpn', 'http/1.1'] : ['--alpn', 'http/1.1']));
      const p = spawnPeer(peer === 'openssl' ? 'openssl' : 'gnutls-cli', args);
      child = p.child;
      got = await exchange(p.child.stdout, p.child.stdin, data, data.length, timeoutMs).catch((e) => {
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
      checks.push('client verified');
    }
    if (alpnSni) {
      if (info.alpn !== 'http/1.1') throw new Error(`ALPN ${info.alpn}`);
      if (!sniNames.includes('localhost')) throw new Error(`SNI ${JSON.stringify(sniNames)}`);
      checks.push('alpn', 'sni');
    }
    checks.push(`${data.length} bytes hashed`);
    return checks.join(', ');
  } finally {
    child?.kill('SIGKILL');
    await o.sslClose(listener);
  }
}

/** Every cell of the matrix. */
export function cells() {
  const out = [];
  for (const peer of PEERS) for (const role of ROLES) for (const version of VERSIONS) for (const key of KEYS) for (const variant of VARIANTS) out.push({ peer, role, version, key, variant });
  return out;
}

/** Runs one cell; resolves { ...cell, ok, detail }. */
export async function runCell(cell, { size = 256 * 1024, timeoutMs = 20000 } = {}) {
  const fn = cell.role === 'our-client' ? ourClient : ourServer;
  try {
    const detail = await fn(cell.peer, cell.version, cell.key, cell.variant, size, timeoutMs);
    return { ...cell, ok: true, detail };
  } catch (e) {
    return { ...cell, ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

/** Formats results as a Markdown table. */
export function table(results) {
  const lines = ['| peer | role | version | key | variant | result | checked |', '|---|---|---|---|---|---|---|'];
  for (const r of results) lines.push(`| ${r.peer} | ${r.role} | ${r.version} | ${r.key} | ${r.variant} | ${r.ok ? 'PASS' : 'FAIL'} | ${r.detail.replace(/\|/g, '/').replace(/\n/g, ' ')} |`);
  const passed = results.filter((r) => r.ok).length;
  lines.push('', `${passed}/${results.length} cells passed`);
  return lines.join('\n');
}
