// Accepted sockets read through the shared buffer (as client sockets do through `onread`): bytes that
// arrived before sslAccept are not lost, order is kept, pausing still applies back-pressure.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import * as o from '../dist/index.js';
import { adoptSocketReads } from '../dist/entry/socket-reads.js';
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

test('adoptSocketReads: buffered bytes are returned, later ones go to the sink, no data events, pause stops reading', async () => {
  const [socket, client] = await tcpPair();
  client.write('early');
  await new Promise((r) => setTimeout(r, 50)); // read into the socket's buffer before adoption
  const got = [];
  // The sink gets a count: the bytes are at the start of the shared read buffer during the call.
  const early = adoptSocketReads(socket, (n) => got.push(Buffer.from(READ_BUFFER.subarray(0, n))));
  assert.ok(early, 'this Node supports reading accepted sockets into a user buffer');
  assert.equal(Buffer.concat(early).toString(), 'early');
  socket.on('data', () => assert.fail('a data event after adoption'));
  socket.resume();
  client.write('later');
  while (Buffer.concat(got).length < 5) await new Promise((r) => setTimeout(r, 5));
  assert.equal(Buffer.concat(got).toString(), 'later');
  // Paused: nothing is delivered until resumed (the kernel keeps the bytes).
  socket.pause();
  client.write('held');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(Buffer.concat(got).toString(), 'later');
  socket.resume();
  while (Buffer.concat(got).length < 9) await new Promise((r) => setTimeout(r, 5));
  assert.equal(Buffer.concat(got).toString(), 'laterheld');
  const ended = new Promise((r) => socket.once('end', r));
  client.end();
  await ended; // EOF still ends the stream
  socket.destroy();
  // A destroyed socket cannot be adopted.
  assert.equal(adoptSocketReads(socket, () => {}), null);
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
