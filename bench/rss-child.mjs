// Opens N idle TLS connection pairs (client and server both in this process, verified like the other
// figures) with one implementation and prints the RSS growth per 1000 pairs. Run in its own process
// (node --expose-gc bench/rss-child.mjs ours|node N) so the two implementations never mix. Both connect to 127.0.0.1 and verify the chain and
// the name "localhost"; node:tls shares one client SecureContext (its server makes one), as ours shares its contexts.
import tls from 'node:tls';
import { KEYS, certPath, pem } from './lib.mjs';

const [impl, pairsArg] = process.argv.slice(2);
const pairs = Number(pairsArg);
if (!['ours', 'node'].includes(impl) || !(pairs > 0)) {
  console.error('usage: node --expose-gc bench/rss-child.mjs ours|node PAIRS');
  process.exit(2);
}
const settle = async () => {
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
};
const keep = [];

let openPair;
if (impl === 'ours') {
  const o = await import('../dist/index.js');
  const serverCtx = o.sslMakeServerContext('auto', { certificateChain: certPath(KEYS.ecdsa.chain), privateKey: ['pem', certPath(KEYS.ecdsa.key)] });
  const l = await o.sslListen(0, 511, true, '127.0.0.1', serverCtx);
  const port = o.sslListenerPort(l);
  const ctx = o.sslMakeClientContext('auto');
  o.sslLoadVerifySource(ctx, certPath('root-ca.pem'));
  o.sslSetVerify(ctx, true);
  o.sslSetVerifyHostname(ctx, true);
  openPair = async () => {
    const acc = o.sslAccept(l);
    const client = await o.sslConnect('127.0.0.1', port, ctx, { host: 'localhost', reuseSession: false });
    // Read, as a node:tls socket does on its own: the server's session tickets are processed, not left
    // unread in the read BIO (which would understate what an idle connection in real use costs).
    client[0].resume();
    keep.push(client, await acc);
  };
} else {
  const server = tls.createServer({ cert: pem(KEYS.ecdsa.chain), key: pem(KEYS.ecdsa.key) }, (c) => keep.push(c));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const clientContext = tls.createSecureContext({ ca: pem('root-ca.pem') }); // shared, as an Agent does
  openPair = () =>
    new Promise((resolve, reject) => {
      const c = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', secureContext: clientContext }, () => resolve(keep.push(c)));
      c.once('error', reject);
    });
}

// Warm up (contexts, code, first allocations), then measure the growth for `pairs` more pairs.
for (let i = 0; i < 10; i++) await openPair();
await settle();
const before = process.memoryUsage().rss;
for (let i = 0; i < pairs; i++) await openPair();
await settle();
const after = process.memoryUsage().rss;
console.log(JSON.stringify({ impl, pairs, perThousandMiB: ((after - before) / 1048576) * (1000 / pairs) }));
process.exit(0);
