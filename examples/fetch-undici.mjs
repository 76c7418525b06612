// fetch over openssl-ports: undici's Agent with sslUndiciConnect, set as the global dispatcher, so
// the global fetch() runs on the system OpenSSL (HTTP/2 when the server picks it).
//   node examples/fetch-undici.mjs https://example.com/
//   node examples/fetch-undici.mjs https://localhost:8443/ certs/root-ca.pem   (trust this CA instead of the system store)
// Needs undici (npm install undici). Prints the status and the body's size on stdout.
import { readFileSync } from 'node:fs';
import { Agent, setGlobalDispatcher } from 'undici';
import { sslUndiciConnect } from '../dist/index.js';

const url = process.argv[2] ?? 'https://example.com/';
const ca = process.argv[3] ? readFileSync(process.argv[3]) : undefined;
// Verified against `ca` (or the system store); rejectUnauthorized: false is never the default.
setGlobalDispatcher(new Agent({ connect: sslUndiciConnect({ ca, allowH2: true }), allowH2: true }));
const res = await fetch(url);
const body = await res.text();
console.log(`${res.status} ${body.length} bytes`);
