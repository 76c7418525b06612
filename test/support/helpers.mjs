import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
// Shared test support: certificate paths, real peers (openssl s_server/s_client), stream pairs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import { createServer, connect as netConnect } from 'node:net';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** Path of a file in the committed test PKI. */
export const cert = (name) => join(process.env.OPENSSL_PORTS_TEST_CERTS ?? join(root, 'certs'), name);

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Waits until `text` (string or RegExp) appears in a child's output; resolves with all output so far. */
export function waitForOutput(child, text, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${text}; got: ${out}`)), timeoutMs);
    const on = (d) => {
      out += d.toString('latin1');
      if (typeof text === 'string' ? out.includes(text) : text.test(out)) {
        clearTimeout(timer);
        child.stdout?.off('data', on);
        child.stderr?.off('data', on);
        resolve(out);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before ${text}: ${out}`));
    });
  });
}

/**
 * Starts `openssl s_server` on a free port; returns { child, port, kill }. Ready when it prints ACCEPT,
 * or, with `-quiet` (which prints nothing), when the port takes a TCP connection (which uses up one
 * accept: do not combine `-quiet` with `-naccept`). A server that never
 * gets ready is killed, not left behind.
 */
export async function startSServer(args) {
  const port = await freePort();
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const kill = () => child.kill('SIGKILL');
  try {
    if (args.includes('-quiet')) await waitForPort(port, child);
    else await waitForOutput(child, 'ACCEPT');
  } catch (e) {
    kill();
    throw e;
  }
  return { child, port, kill };
}

/** Resolves once `port` on loopback takes a TCP connection; rejects if `child` exits first or after `timeoutMs`. */
export function waitForPort(port, child, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      // (No pid: it never started.)
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return reject(new Error(`process exited before listening on ${port}`));
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** Runs a child to completion (in `cwd`, default the checkout); resolves { code, signal, stdout, stderr } (Buffers). */
export function run(cmd, args, { input, timeoutMs = 60000, env, cwd = root } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env, cwd });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms: ${Buffer.concat(err)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Reads a Readable to its end. */
export async function readAll(readable) {
  const chunks = [];
  for await (const c of readable) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Reads exactly n bytes from a Readable (without consuming more). */
export function readExactly(readable, n) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let have = 0;
    const onReadable = () => {
      let c;
      while (have < n && (c = readable.read()) !== null) {
        if (have + c.length > n) {
          readable.unshift(c.subarray(n - have));
          c = c.subarray(0, n - have);
        }
        chunks.push(c);
        have += c.length;
      }
      if (have >= n) {
        cleanup();
        resolve(Buffer.concat(chunks));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`stream ended after ${have} of ${n} bytes`));
    };
    const onError = (e) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      readable.off('readable', onReadable);
      readable.off('end', onEnd);
      readable.off('error', onError);
    };
    readable.on('readable', onReadable);
    readable.on('end', onEnd);
    readable.on('error', onError);
    onReadable();
  });
}

/** SHA-256 of a Buffer, hex. */
export const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** Writes `total` pseudo-random bytes in `chunk`-sized writes with back-pressure; resolves with their SHA-256. */
export async function writeRandom(output, total, chunk = 16384) {
  const h = createHash('sha256');
  const block = randomBytes(1 << 20);
  let sent = 0;
  while (sent < total) {
    const n = Math.min(chunk, total - sent);
    const off = sent % block.length;
    const piece = block.subarray(off, Math.min(off + n, block.length));
    h.update(piece);
    sent += piece.length;
    if (!output.write(piece)) await new Promise((r) => output.once('drain', r));
  }
  return h.digest('hex');
}

/** Hashes exactly n bytes from a Readable (leaving it open); resolves the hex SHA-256. */
export function hashExactly(readable, n) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let have = 0;
    const onData = (c) => {
      if (have + c.length > n) {
        readable.off('data', onData);
        return reject(new Error(`got ${have + c.length} bytes, expected ${n}`));
      }
      h.update(c);
      have += c.length;
      if (have === n) {
        readable.off('data', onData);
        readable.off('end', onEnd);
        readable.pause();
        resolve(h.digest('hex'));
      }
    };
    const onEnd = () => reject(new Error(`stream ended after ${have} of ${n} bytes`));
    readable.on('data', onData);
    readable.once('end', onEnd);
    readable.once('error', reject);
  });
}

/** Hashes everything a Readable delivers; resolves { hash, bytes }. */
export async function hashAll(readable) {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of readable) {
    h.update(c);
    bytes += c.length;
  }
  return { hash: h.digest('hex'), bytes };
}

/**
 * Two connected in-memory pipes that deliver at most `limit` bytes per chunk, asynchronously:
 * returns { a: { input, output }, b: { input, output } } where a.output → b.input and b.output → a.input.
 */
export function limitedPipePair(limit) {
  const make = () => {
    const reader = new PassThrough();
    const writer = new Writable({
      write(chunk, _enc, cb) {
        let off = 0;
        const step = () => {
          if (off >= chunk.length) return cb();
          const piece = chunk.subarray(off, off + limit);
          off += piece.length;
          reader.write(piece);
          setImmediate(step);
        };
        step();
      },
      final(cb) {
        reader.end();
        cb();
      },
      destroy(err, cb) {
        reader.destroy();
        cb(err);
      },
    });
    return { reader, writer };
  };
  const ab = make();
  const ba = make();
  return { a: { input: ba.reader, output: ab.writer }, b: { input: ab.reader, output: ba.writer } };
}

/** Forces garbage collection a few times (tests run with --expose-gc) and lets finalizers run. */
export async function collectGarbage() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
}

/** A server context on the bundled RSA chain (localhost, 127.0.0.1, ::1). */
export const rsaServerContext = (o, protocol = 'auto') =>
  o.sslMakeServerContext(protocol, { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });

/** A server context on the bundled ECDSA P-256 chain (localhost, 127.0.0.1, ::1). */
export const ecdsaServerContext = (o, protocol = 'auto') =>
  o.sslMakeServerContext(protocol, { certificateChain: cert('server-ecdsa-chain.pem'), privateKey: ['pem', cert('server-ecdsa.key')] });

/**
 * Closes nothing itself: after the test destroyed its ports, waits a little, forces collections and
 * checks that every SSL and BIO counted in `base` (an `sslObjectCounts()` taken at the start) was freed.
 */
export async function assertSslObjectsFreed(o, base) {
  await tick(50);
  await collectGarbage();
  const now = o.sslObjectCounts();
  assert.equal(now.SSL, base.SSL, 'every SSL freed');
  assert.equal(now.BIO, base.BIO, 'every BIO freed');
}

/** A client context that trusts the bundled root CA and verifies the chain and the host name. */
export function verifiedClientContext(o) {
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  return ctx;
}

/** How many file descriptors this process has open. */
export const openFds = () => readdirSync('/proc/self/fd').length;

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` is true (polling every 20 ms); throws naming `what` after `ms`. */
export async function until(check, what, ms = 20_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(20);
  }
}

/** GET `path` on an http2 client session; resolves the body as text. */
export function h2Get(session, path) {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
    req.end();
  });
}

export { Duplex, PassThrough, Readable, Writable };
