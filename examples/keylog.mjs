// Key logging for Wireshark: appends the session keys of a connection to a file in the NSS key log
// format (what SSLKEYLOGFILE means to browsers and curl). In Wireshark: Preferences → Protocols → TLS →
// (Pre)-Master-Secret log filename. Anyone with the file can decrypt these connections: debugging only.
//   node examples/keylog.mjs FILE                   a connection to a local server in this process
//   node examples/keylog.mjs FILE HOST:PORT [CA]    a connection to HOST:PORT (verified against CA, or
//                                                   the default trust store), sending one line
import { appendFileSync } from 'node:fs';
import * as o from '../dist/index.js';

const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;
const [file = process.env.SSLKEYLOGFILE ?? 'keylog.txt', target, ca] = process.argv.slice(2);

const ctx = o.sslMakeClientContext('auto');
o.sslSetKeylogger(ctx, (line) => appendFileSync(file, Buffer.concat([line, Buffer.from('\n')]), { mode: 0o600 }));
if (ca) o.sslLoadVerifySource(ctx, ca);
else o.sslLoadDefaultVerifySources(ctx);
o.sslSetVerify(ctx, true);
o.sslSetVerifyHostname(ctx, true);

let listener = null;
let host = 'localhost';
let port;
if (target) {
  const m = /^(.*):(\d+)$/.exec(target);
  if (!m) throw new Error('usage: node examples/keylog.mjs FILE [HOST:PORT [CA]]');
  [host, port] = [m[1], Number(m[2])];
} else {
  // No target: a local server on the test certificates, and trust in the test CA.
  const serverCtx = o.sslMakeServerContext('auto', { certificateChain: certs('server-rsa-chain.pem'), privateKey: ['pem', certs('server-rsa.key')] });
  listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);
  port = o.sslListenerPort(listener);
  if (!ca) o.sslLoadVerifySource(ctx, certs('root-ca.pem'));
  o.sslAccept(listener).then(([input, output]) => input.pipe(output));
}

const [input, output] = await o.sslConnect(host, port, ctx, { host: target ? undefined : 'localhost' });
output.write('hello through a logged connection\n');
const reply = await new Promise((resolve, reject) => input.once('data', resolve).once('error', reject));
console.log(`${o.sslProtocolVersion(input)} connection to ${host}:${port}; received ${reply.length} bytes`);
console.log(`session keys appended to ${file}`);
input.destroy();
output.destroy();
if (listener) await o.sslClose(listener);
