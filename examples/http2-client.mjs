// http2.connect over openssl-ports (ALPN h2): three concurrent streams on one session.
//   node examples/http2-client.mjs https://localhost:8443 certs/root-ca.pem
// Prints each stream's status and body.
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { sslCreateConnection } from '../dist/index.js';

const origin = process.argv[2] ?? 'https://localhost:8443';
const ca = process.argv[3] ? readFileSync(process.argv[3]) : undefined;
const session = http2.connect(origin, { createConnection: sslCreateConnection({ ca }) });
session.on('error', (e) => {
  console.error(`session failed: ${e.message}`);
  process.exitCode = 1;
});
const get = (path) =>
  new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = h[':status']));
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(`${path}: ${status} ${body.trim()}`));
    req.on('error', reject);
    req.end();
  });
for (const line of await Promise.all(['/a', '/b', '/c'].map(get))) console.log(line);
session.close();
