// Live verification (sslSetVerify / sslTryVerify on a port: TLS 1.2 renegotiation, TLS 1.3
// post-handshake authentication) is settled exactly once and bounded: a second request while one is
// pending is refused without disturbing the first, a connection closed meanwhile settles it at once,
// and a peer flooding data while the application does not read is held back by back-pressure.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../dist/index.js';
import { cert, readExactly } from './support/helpers.mjs';

async function serve(protocol) {
  const ctx = o.sslMakeServerContext(protocol, { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  return { listener, port: o.sslListenerPort(listener) };
}

function clientWithCert(protocol) {
  const ctx = o.sslMakeClientContext(protocol, { privateKey: ['pem', cert('client.key')], certificateChain: cert('client-chain.pem') });
  o.sslLoadVerifySource(ctx, cert('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  return ctx;
}

async function connectPair(listener, port, protocol) {
  const accepted = o.sslAccept(listener);
  const client = await o.sslConnect('localhost', port, clientWithCert(protocol));
  const server = await accepted;
  return { client, server };
}

const destroyAll = (...pairs) => {
  for (const p of pairs) for (const s of p) s.destroy();
};

/** How a promise settled: 'ok', or the error; and how many times a settle handler ran. */
function watch(promise) {
  const seen = { settled: 0, value: undefined };
  const done = promise.then(
    () => {
      seen.settled++;
      seen.value = 'ok';
    },
    (e) => {
      seen.settled++;
      seen.value = e;
    },
  );
  return { seen, done };
}

for (const protocol of ['tls12', 'tls13']) {
  test(`${protocol}: a second live verification while one is pending is refused; the first completes`, async () => {
    const { listener, port } = await serve(protocol);
    try {
      const { client, server } = await connectPair(listener, port, protocol);
      const [cin] = client;
      const [sin, sout] = server;
      const clientRead = readExactly(cin, 2); // the client reads, so the exchange progresses
      const first = watch(o.sslTryVerify(sin, true));
      const second = watch(o.sslTryVerify(sout, true));
      const third = watch(o.sslSetVerify(sin, true));
      await Promise.all([first.done, second.done, third.done]);
      assert.equal(first.seen.value, 'ok', String(first.seen.value));
      for (const w of [second, third]) {
        assert.ok(o.isSslError(w.seen.value), String(w.seen.value));
        assert.equal(w.seen.value.code, 'ERR_SSL_VERIFY_PENDING');
        assert.match(w.seen.value.message, /^ssl(Try|Set)Verify: failed \(a verification of this connection is already in progress/);
      }
      assert.equal(o.sslPeerVerified(sin), true);
      // Once settled, a new request is taken.
      assert.equal(await o.sslTryVerify(sin, true).then(() => 'ok', (e) => e), 'ok');
      sout.write('ok');
      assert.equal((await clientRead).toString(), 'ok');
      for (const w of [first, second, third]) assert.equal(w.seen.settled, 1);
      destroyAll(client, server);
    } finally {
      await o.sslClose(listener);
    }
  });

  test(`${protocol}: ports destroyed right after sslSetVerify settle the verification at once (closed, not timed out)`, async () => {
    const { listener, port } = await serve(protocol);
    try {
      const { client, server } = await connectPair(listener, port, protocol);
      const [sin, sout] = server;
      // The client does not read: without the close, this would wait for the peer.
      const pending = watch(o.sslSetVerify(sin, true));
      sin.destroy();
      sout.destroy();
      await pending.done;
      assert.ok(o.isSslError(pending.seen.value), String(pending.seen.value));
      assert.equal(pending.seen.value.code, 'ERR_SSL_CLOSED');
      assert.match(pending.seen.value.message, /^sslSetVerify: failed \(the connection was closed/);
      // And when the peer goes away instead.
      const b = await connectPair(listener, port, protocol);
      const waiting = watch(o.sslTryVerify(b.server[0], true));
      destroyAll(b.client);
      await waiting.done;
      assert.ok(o.isSslError(waiting.seen.value), String(waiting.seen.value));
      assert.match(waiting.seen.value.message, /^sslTryVerify: failed/);
      assert.notEqual(waiting.seen.value.code, 'ETIMEDOUT');
      assert.equal(waiting.seen.settled, 1);
      destroyAll(client, b.server);
    } finally {
      await o.sslClose(listener);
    }
  });
}

/**
 * Writes to `out` until `limit` bytes are written or the writes have been held back (no 'drain') for
 * `stallMs`; resolves the number of bytes written.
 */
function flood(out, limit, stallMs = 1000) {
  const block = Buffer.alloc(16 * 1024, 0x61);
  let written = 0;
  return new Promise((resolve) => {
    let timer = null;
    const step = () => {
      clearTimeout(timer);
      while (written < limit) {
        written += block.length;
        if (!out.write(block)) {
          timer = setTimeout(() => {
            out.off('drain', step);
            resolve(written);
          }, stallMs);
          out.once('drain', step);
          return;
        }
      }
      resolve(written);
    };
    step();
  });
}

for (const protocol of ['tls12', 'tls13']) {
  test(`${protocol}: a peer flooding during a live verification is held back while the application does not read`, async () => {
    const { listener, port } = await serve(protocol);
    try {
      const { client, server } = await connectPair(listener, port, protocol);
      const [cin, cout] = client;
      const [sin, sout] = server;
      cin.resume(); // the client reads (and so answers the server's request); the server's application does not
      const verification = watch(o.sslTryVerify(sin, true));
      const LIMIT = 64 * 1024 * 1024;
      const written = await flood(cout, LIMIT);
      // Held back: the flood stalled well before its 64 MiB, and the server buffered at most its
      // high-water mark and a bounded amount more (before the fix: everything the peer sent).
      assert.ok(written < LIMIT, `the flood was never held back (${written} bytes written)`);
      const buffered = sin.readableLength;
      assert.ok(buffered <= sin.readableHighWaterMark + 64 * 1024, `${buffered} bytes buffered in the input port`);
      // The application reads now: every byte arrives and the verification completes.
      let got = 0;
      sin.on('data', (c) => {
        got += c.length;
      });
      await new Promise((resolve, reject) => {
        const check = () => (got >= written ? resolve() : setTimeout(check, 20));
        check();
        sin.once('error', reject);
      });
      assert.equal(got, written);
      await verification.done;
      assert.equal(verification.seen.value, 'ok', String(verification.seen.value));
      assert.equal(o.sslPeerVerified(sin), true);
      sout.write('ok');
      destroyAll(client, server);
    } finally {
      await o.sslClose(listener);
    }
  });
}
