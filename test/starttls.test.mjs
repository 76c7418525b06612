// STARTTLS (Gerbil's sslClientUpgrade / sslServerUpgrade) in an SMTP-like exchange, both ways,
// including the ClientHello arriving in the same packet as the command, and `openssl s_client -starttls smtp`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { spawn } from 'node:child_process';
import * as o from '../dist/index.js';
import { cert, readExactly, verifiedClientContext, waitForOutput } from './support/helpers.mjs';

const serverCtx = () => o.makeServerSslContext(cert('server-rsa-chain.pem'), cert('server-rsa.key'));
const clientCtx = () => verifiedClientContext(o);

/** Reads one CRLF-terminated line from a socket in paused mode, putting back whatever follows it. */
function readLine(socket) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n');
      if (i < 0) return;
      socket.off('data', onData);
      socket.off('error', reject);
      socket.pause();
      const rest = buf.subarray(i + 2);
      if (rest.length) socket.unshift(rest);
      resolve(buf.subarray(0, i).toString());
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
  });
}

/** A tiny SMTP-like server: greeting, EHLO, STARTTLS, then an echo of one line over TLS. */
async function smtpServer({ withInitialData = false } = {}) {
  const ctx = serverCtx();
  const results = [];
  const server = createServer(async (socket) => {
    try {
      socket.write('220 test ESMTP\r\n');
      for (;;) {
        const line = await readLine(socket);
        if (/^EHLO/i.test(line)) socket.write('250-test\r\n250 STARTTLS\r\n');
        else if (/^STARTTLS/i.test(line)) break;
        else socket.write('500 unknown\r\n');
      }
      socket.write('220 ready\r\n');
      // Whatever readLine put back (the start of the ClientHello) is consumed by the upgrade.
      const [input, output] = withInitialData
        ? await o.sslServerUpgrade(socket, ctx, { initialData: socket.read() ?? undefined })
        : await o.sslServerUpgrade(socket, ctx);
      const line = await readExactly(input, 6);
      output.write(Buffer.concat([Buffer.from('echo:'), line]));
      results.push(line.toString());
      input.once('end', () => {
        input.destroy();
        output.end();
      });
      input.resume();
    } catch (e) {
      results.push(e);
      socket.destroy();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: server.address().port, results };
}

test('STARTTLS both ways: our client upgrades, our server upgrades', async () => {
  const { server, port, results } = await smtpServer();
  const socket = connect(port, '127.0.0.1');
  assert.match(await readLine(socket), /^220 /);
  socket.write('EHLO me\r\n');
  assert.equal(await readLine(socket), '250-test');
  assert.equal(await readLine(socket), '250 STARTTLS');
  socket.write('STARTTLS\r\n');
  assert.equal(await readLine(socket), '220 ready');
  const [input, output] = await o.sslClientUpgrade(socket, { context: clientCtx(), host: 'localhost', timeout: 5000 });
  assert.equal(o.sslPeerVerified(input), true);
  assert.equal(o.sslPeerCertificate(input).subject.includes('CN=localhost'), true);
  output.write('hello\n');
  assert.equal((await readExactly(input, 11)).toString(), 'echo:hello\n');
  output.destroy();
  input.destroy();
  assert.deepEqual(results, ['hello\n']);
  server.close();
});

test('STARTTLS: ClientHello bytes that arrived with the command are not lost (unshift and initialData)', async () => {
  for (const mode of ['unshift', 'initialData']) {
    const ctx = serverCtx();
    let serverResult;
    const server = createServer(async (socket) => {
      try {
        // Read the command and everything that came with it in one chunk.
        const first = await new Promise((r) => socket.once('data', r));
        socket.pause();
        const i = first.indexOf('\r\n');
        assert.equal(first.subarray(0, i).toString(), 'STARTTLS');
        const rest = first.subarray(i + 2);
        assert.ok(rest.length > 0, 'the ClientHello came in the same packet as the command');
        let ports;
        if (mode === 'unshift') {
          socket.unshift(rest);
          ports = await o.sslServerUpgrade(socket, ctx);
        } else ports = await o.sslServerUpgrade(socket, ctx, { initialData: rest });
        const [input, output] = ports;
        output.write(await readExactly(input, 4));
        serverResult = 'ok';
      } catch (e) {
        serverResult = e;
      }
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const socket = connect(server.address().port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    // The client sends the command and its ClientHello at once (it does not wait for an answer).
    socket.cork();
    socket.write('STARTTLS\r\n');
    const upgraded = o.sslClientUpgrade(socket, { context: clientCtx(), host: 'localhost', timeout: 5000 });
    process.nextTick(() => socket.uncork());
    const [input, output] = await upgraded;
    output.write('ping');
    assert.equal((await readExactly(input, 4)).toString(), 'ping');
    assert.equal(serverResult, 'ok', `mode ${mode}`);
    input.destroy();
    output.destroy();
    server.close();
  }
});

test('openssl s_client -starttls smtp talks to our STARTTLS server', async () => {
  const { server, port, results } = await smtpServer();
  const child = spawn('openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${port}`, '-CAfile', cert('root-ca.pem'), '-verify_return_error', '-quiet', '-verify_hostname', 'localhost'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    await waitForOutput(child, /verify return:1|depth=0/);
    child.stdin.write('hello\n');
    const out = await waitForOutput(child, 'echo:hello');
    assert.match(out, /echo:hello/);
    assert.deepEqual(results, ['hello\n']);
  } finally {
    child.kill('SIGKILL');
    server.close();
  }
});

test('upgrade argument checks', async () => {
  await assert.rejects(o.sslClientUpgrade('nope'), TypeError);
  await assert.rejects(o.sslServerUpgrade('nope', serverCtx()), TypeError);
  const socket = connect(1, '127.0.0.1');
  socket.on('error', () => {});
  await assert.rejects(o.sslServerUpgrade(socket, o.sslMakeClientContext()), TypeError);
  socket.destroy();
});
