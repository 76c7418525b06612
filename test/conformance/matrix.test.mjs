// The conformance matrix, short form (256 KiB per cell); `npm run conformance` runs the long form.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cells, runCell, table } from './matrix.mjs';

test('conformance matrix: openssl, gnutls, python ssl, node:tls × client/server × TLS 1.2/1.3 × RSA/ECDSA × plain/mTLS/ALPN+SNI', async (t) => {
  const results = [];
  for (const cell of cells()) results.push(await runCell(cell, { size: 256 * 1024 }));
  for (const line of table(results).split('\n')) t.diagnostic(line);
  const failed = results.filter((r) => !r.ok);
  assert.deepEqual(failed, [], table(failed));
});
