// Opens N idle TLS connection pairs (client and server in this process) with one implementation and
// prints the RSS growth per 1000 pairs. Run in its own process so the two implementations never mix.
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [impl, pairsArg] = process.argv.slice(2);
const pairs = Number(pairsArg);
const certs = (n) => fileURLToPath(new URL(`../certs/${n}`, import.meta.url));
const gc = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
};
const keep = [];

let openPair;
if (impl === 'ours') {
  const o = await import('../dist/index.js');
  const l = await o.sslListen(0, 511, true, '127.0.0.1', o.sslMakeServerContext('auto', { certificateChain: certs('server-ecdsa-chain.pem'), privateKey: ['pem', certs('server-ecdsa.key')] }));
  const port = o.sslListenerPort(l);
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, certs('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  openPair = async () => {
    const acc = o.sslAccept(l);
    keep.push(await o.sslConnect('localhost', port, ctx, { reuseSession: false }), await acc);
  };
} else {
  const server = tls.createServer({ cert: readFileSync(certs('server-ecdsa-chain.pem')), key: readFileSync(certs('server-ecdsa.key')) }, (c) => keep.push(c));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const ca = readFileSync(certs('root-ca.pem'));
  openPair = () =>
    new Promise((resolve, reject) => {
      const c = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca }, () => resolve(keep.push(c)));
      c.once('error', reject);
    });
}

await openPair(); // warm up
await gc();
const before = process.memoryUsage().rss;
for (let i = 0; i < pairs; i++) await openPair();
await new Promise((r) => setTimeout(r, 200));
await gc();
const after = process.memoryUsage().rss;
console.log(JSON.stringify({ impl, pairs, perThousandMiB: ((after - before) / 1048576) * (1000 / pairs) }));
process.exit(0);
