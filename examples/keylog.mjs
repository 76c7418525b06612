// Key logging to a file in the NSS format Wireshark reads (SSLKEYLOGFILE).
//   node examples/keylog.mjs keys.txt
// Anyone with the file can decrypt these connections: for debugging only.
import { appendFileSync } from 'node:fs';
import * as o from '../dist/index.js';

const file = process.argv[2] ?? 'keylog.txt';
const certs = (f) => new URL(`../certs/${f}`, import.meta.url).pathname;
const serverCtx = o.sslMakeServerContext('auto', { certificateChain: certs('server-rsa-chain.pem'), privateKey: ['pem', certs('server-rsa.key')] });
const listener = await o.sslListen(0, 5, false, '127.0.0.1', serverCtx);

const ctx = o.sslMakeClientContext('auto');
o.sslSetKeylogger(ctx, (line) => appendFileSync(file, Buffer.concat([line, Buffer.from('\n')])));
const accepted = o.sslAccept(listener);
const [input, output] = await o.sslConnect('localhost', o.sslListenerPort(listener), ctx);
const [sin, sout] = await accepted;
console.log(`wrote the key material of a ${o.sslProtocolVersion(input)} connection to ${file}`);
for (const p of [input, output, sin, sout]) p.destroy();
await o.sslClose(listener);
