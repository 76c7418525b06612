// Accepted sockets read through the shared buffer (as client sockets do through `onread`): bytes that
// arrived before sslAccept are not lost, order is kept, pausing still applies back-pressure.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import * as o from '../dist/index.js';
import { adoptSocketReads, ReadRelay } from '../dist/entry/socket-reads.js';
import { READ_BUFFER } from '../dist/engine/read-buffer.js';
import { cert, writeRandom, hashExactly } from './support/helpers.mjs';

/** A raw TCP pair on loopback: [accepted, client]. */
async function tcpPair() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise((r) => server.once('connection', r));
  const client = connect(server.address().port, '127.0.0.1');
  const socket = await accepted;
  server.close();
  return [socket, client];
}

test('adoptSocketReads: buffered bytes returned, reads before attach kept, later ones delivered, no data events, pause stops reading', async () => {
  const [socket, client] = await tcpPair();
  client.write('early');
  await new Promise((r) => setTimeout(r, 50)); // read into the socket's buffer before adoption
  const got = [];
  // A receiver gets a count (the bytes are at the start of the shared read buffer during the call),
  // or, for what arrived before it was attached, one Buffer.
  const receiver = {
    receive: (n) => got.push(Buffer.from(READ_BUFFER.subarray(0, n))),
    receiveBuffer: (chunk) => got.push(Buffer.from(chunk)),
  };
  const relay = new ReadRelay();
  const early = adoptSocketReads(socket, relay);
  assert.ok(early, 'this Node supports reading accepted sockets into a user buffer');
  assert.equal(Buffer.concat(early).toString(), 'early');
  socket.on('data', () => assert.fail('a data event after adoption'));
  socket.resume();
  client.write('before');
  await new Promise((r) => setTimeout(r, 50)); // read while nothing is attached: kept as a copy
  assert.equal(got.length, 0);
  relay.attach(receiver);
  assert.equal(Buffer.concat(got).toString(), 'before');
  client.write('later');
  while (Buffer.concat(got).length < 11) await new Promise((r) => setTimeout(r, 5));
  assert.equal(Buffer.concat(got).toString(), 'beforelater');
  // Paused: nothing is delivered until resumed (the kernel keeps the bytes).
  socket.pause();
  client.write('held');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(Buffer.concat(got).toString(), 'beforelater');
  socket.resume();
  while (Buffer.concat(got).length < 15) await new Promise((r) => setTimeout(r, 5));
  assert.equal(Buffer.concat(got).toString(), 'beforelaterheld');
  const ended = new Promise((r) => socket.once('end', r));
  client.end();
  await ended; // EOF still ends the stream
  socket.destroy();
  // A destroyed socket cannot be adopted.
  assert.equal(adoptSocketReads(socket, new ReadRelay()), null);
});

test('a client whose ClientHello and first records wait in the queue before sslAccept: nothing lost', async () => {
  const ctx = o.sslMakeServerContext('auto', { certificateChain: cert('server-rsa-chain.pem'), privateKey: ['pem', cert('server-rsa.key')] });
  const listener = await o.sslListen(0, 5, false, '127.0.0.1', ctx);
  const port = o.sslListenerPort(listener);
  const connecting = o.sslConnect('127.0.0.1', port);
  await new Promise((r) => setTimeout(r, 100)); // the ClientHello is read by the queued socket
  assert.equal(o.sslListenerAcceptReady(listener), true);
  const [[sin, sout], [cin, cout]] = await Promise.all([o.sslAccept(listener), connecting]);
  const size = 4 << 20;
  const [sentC, gotS, sentS, gotC] = await Promise.all([writeRandom(cout, size), hashExactly(sin, size), writeRandom(sout, size), hashExactly(cin, size)]);
  assert.equal(gotS, sentC);
  assert.equal(gotC, sentS);
  for (const p of [cin, cout, sin, sout]) p.destroy();
  await o.sslClose(listener);
});
