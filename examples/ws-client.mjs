// A ws WebSocket client over openssl-ports: sends one message, prints the first reply, closes.
//   node examples/ws-client.mjs wss://localhost:8443/ certs/root-ca.pem "hello"
// Needs ws (npm install ws).
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { sslCreateConnection } from '../dist/index.js';

const [url = 'wss://localhost:8443/', caFile, text = 'hello'] = process.argv.slice(2);
const ws = new WebSocket(url, { createConnection: sslCreateConnection({ ca: caFile ? readFileSync(caFile) : undefined }) });
ws.on('error', (e) => {
  console.error(`failed: ${e.message}`);
  process.exitCode = 1;
});
ws.on('open', () => ws.send(text));
ws.on('message', (m) => {
  console.log(`received: ${m}`);
  ws.close();
});
