// What a transport may deliver to portsToSslPorts: every ArrayBufferView is taken by its bytes
// (byteOffset/byteLength, not its element count), an ArrayBuffer by its bytes; anything else (an
// object-mode value, a number, a string) is an SslError on that connection only, before or after the
// handshake, and the process goes on.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as o from '../dist/index.js';
import { cert, sha256, readExactly, PassThrough, Writable } from './support/helpers.mjs';

function serverContext() {
  return o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
}

const KINDS = {
  Buffer: 1,
  Uint8Array: 1,
  Uint8ClampedArray: 1,
  Int8Array: 1,
  Uint16Array: 2,
  Int16Array: 2,
  Uint32Array: 4,
  Float32Array: 4,
  Float64Array: 8,
  BigUint64Array: 8,
  DataView: 1,
  ArrayBuffer: 1,
};

/**
 * The bytes of `buf` as chunks of `kind`, each over a larger ArrayBuffer filled with 0xAA around them
 * (an 8-byte byteOffset), so that reading the whole buffer or counting elements as bytes corrupts them.
 * A typed array covers the whole elements; the bytes after the last one follow as a Uint8Array.
 */
function asChunks(buf, kind) {
  const ab = new ArrayBuffer(buf.length + 24);
  new Uint8Array(ab).fill(0xaa);
  new Uint8Array(ab, 8, buf.length).set(buf);
  if (kind === 'ArrayBuffer') return [ab.slice(8, 8 + buf.length)];
  if (kind === 'DataView') return [new DataView(ab, 8, buf.length)];
  if (kind === 'Buffer') return [Buffer.from(ab, 8, buf.length)];
  const size = KINDS[kind];
  const whole = Math.floor(buf.length / size) * size;
  const out = [];
  if (whole > 0) out.push(new globalThis[kind](ab, 8, whole / size));
  if (whole < buf.length) out.push(new Uint8Array(ab, 8 + whole, buf.length - whole));
  return out;
}

/**
 * An in-process pair where the client's transport input is an object-mode stream: the server's
 * ciphertext reaches the client as chunks made by `convert`.
 */
function objectModePair(convert) {
  const toServer = new PassThrough();
  const toClient = new PassThrough({ objectMode: true });
  const serverOut = new Writable({
    write(chunk, _enc, cb) {
      for (const c of convert(chunk)) toClient.write(c);
      cb();
    },
  });
  return { client: { input: toClient, output: toServer }, server: { input: toServer, output: serverOut }, toClient };
}

for (const kind of Object.keys(KINDS)) {
  test(`a transport delivering ${kind} chunks: the handshake and data both ways are byte-exact`, async () => {
    const pair = objectModePair((b) => asChunks(b, kind));
    const [[sin, sout], [cin, cout]] = await Promise.all([
      o.portsToSslPorts(pair.server.input, pair.server.output, { mode: 'accept', context: serverContext() }),
      o.portsToSslPorts(pair.client.input, pair.client.output, { mode: 'connect' }),
    ]);
    // Odd sizes, so that every chunk ends with a partial element.
    const down = randomBytes(100_001);
    const up = randomBytes(33_333);
    sout.write(down);
    cout.write(up);
    assert.equal(sha256(await readExactly(cin, down.length)), sha256(down), 'server → client over views');
    assert.equal(sha256(await readExactly(sin, up.length)), sha256(up), 'client → server');
    for (const p of [sin, sout, cin, cout]) p.destroy();
  });
}

const BAD = {
  'an object with a length': () => ({ length: 5 }),
  'a number': () => 42,
  'a string': () => 'sixteen bytes!!!',
  'an array of numbers': () => [22, 3, 1, 0, 5],
  'a boolean': () => true,
};

for (const [what, make] of Object.entries(BAD)) {
  test(`a transport delivering ${what} before the handshake: an SslError on that connection`, async () => {
    const pair = objectModePair((b) => [b]);
    const server = o.portsToSslPorts(pair.server.input, pair.server.output, { mode: 'accept', context: serverContext() });
    server.catch(() => {});
    // The first thing the client's transport delivers, ahead of the server's flight.
    pair.toClient.write(make());
    const client = o.portsToSslPorts(pair.client.input, pair.client.output, { mode: 'connect' });
    await assert.rejects(client, (e) => o.isSslError(e) && e.code === 'ERR_INVALID_ARG_TYPE' && /^portsToSslPorts: .*must deliver bytes/.test(e.message));
    pair.server.input.destroy();
    await assert.rejects(server);
  });

  test(`a transport delivering ${what} after the handshake: the ports fail with an SslError, the process goes on`, async () => {
    const pair = objectModePair((b) => [b]);
    const [[sin, sout], [cin, cout]] = await Promise.all([
      o.portsToSslPorts(pair.server.input, pair.server.output, { mode: 'accept', context: serverContext() }),
      o.portsToSslPorts(pair.client.input, pair.client.output, { mode: 'connect' }),
    ]);
    sout.write('before');
    assert.equal((await readExactly(cin, 6)).toString(), 'before');
    const failed = once(cin, 'error');
    pair.toClient.write(make());
    const [err] = await failed;
    assert.ok(o.isSslError(err), `${err}`);
    assert.equal(err.code, 'ERR_INVALID_ARG_TYPE');
    assert.match(err.message, /^portsToSslPorts: .*must deliver bytes/);
    if (!cout.destroyed) await once(cout, 'close');
    assert.equal(cout.destroyed, true, 'the output port is closed too');
    // Queries on the failed connection answer ERR_SSL_CLOSED; a fresh connection still works.
    assert.throws(() => o.sslProtocolVersion(cin), (e) => e.code === 'ERR_SSL_CLOSED');
    for (const p of [sin, sout]) p.destroy();
    const again = objectModePair((b) => asChunks(b, 'Uint16Array'));
    const [[sin2, sout2], [cin2, cout2]] = await Promise.all([
      o.portsToSslPorts(again.server.input, again.server.output, { mode: 'accept', context: serverContext() }),
      o.portsToSslPorts(again.client.input, again.client.output, { mode: 'connect' }),
    ]);
    sout2.write('after');
    assert.equal((await readExactly(cin2, 5)).toString(), 'after');
    for (const p of [sin2, sout2, cin2, cout2]) p.destroy();
  });
}
