// https.get through SslAgent: an https.Agent whose connections are openssl-ports TLS connections
// (keep-alive, maxSockets); the process exits by itself once the last response is read.
//   node examples/https-agent.mjs https://example.com/
//   node examples/https-agent.mjs https://localhost:8443/ certs/root-ca.pem
// Prints one line per request: status, protocol, verified.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { SslAgent } from '../dist/index.js';

const url = process.argv[2] ?? 'https://example.com/';
const ca = process.argv[3] ? readFileSync(process.argv[3]) : undefined;
const agent = new SslAgent({ keepAlive: true, maxSockets: 2, ca });
const get = (i) =>
  new Promise((resolve, reject) => {
    https
      .get(url, { agent }, (res) => {
        const socket = res.socket; // an SslSocket (given back to the agent once the response is read)
        res.resume();
        res.on('end', () => resolve(`${i}: ${res.statusCode} ${socket.getProtocol()} verified ${socket.authorized}`));
      })
      .on('error', reject);
  });
for (const line of await Promise.all([1, 2, 3, 4].map(get))) console.log(line);
