// The documentation site: TypeDoc (typedoc.json, the grouping plugin scripts/typedoc-groups.mjs) builds
// with no warnings, the API is grouped by what users look for, every guide in docs/guides is a page,
// the site's own search index finds "SNI", "STARTTLS", "fetch" and the Node integrations' guides, and the
// code of every guide runs as written (with `openssl-ports` pointing at this checkout's dist/) and prints
// what the guide says it prints.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, run } from './support/helpers.mjs';

const guidesDir = join(root, 'docs', 'guides');
const guides = readdirSync(guidesDir).filter((f) => f.endsWith('.md'));
/** The Node integrations (src/socket/ and the web streams), each listed in the Integrations group. */
const INTEGRATIONS = ['sslPortsToWebStreams', 'SslWebStreams', 'SslSocket', 'sslPortsToSocket', 'SslSocketOptions', 'sslSocketConnect', 'sslCreateConnection', 'SslSocketConnectOptions', 'SslTlsOptions', 'SslAgent', 'SslAgentOptions', 'sslUndiciConnect', 'SslUndiciConnectOptions', 'SslUndiciConnectParams', 'sslServe', 'SslServeServers', 'SslServing'];
const GROUPS = ['Clients', 'Servers', 'Contexts', 'Verification', 'Peer and connection', 'STARTTLS and wrapping', 'Integrations', 'Errors', 'OpenSSL handles', 'Chicken, Gerbil and Racket 5.0 names'];

test('TypeDoc: no warnings, the API grouped by topic, the guides as pages, and its search finds SNI, STARTTLS and fetch', async (t) => {
  const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
  if (!existsSync(typedoc)) return t.skip('typedoc is not installed (npm ci installs it)');
  const out = mkdtempSync(join(tmpdir(), 'openssl-ports-docs-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = await run(process.execPath, [typedoc, '--out', out], { timeoutMs: 180000 });
  const log = r.stdout.toString() + r.stderr.toString();
  assert.equal(r.code, 0, log);
  assert.doesNotMatch(log, /warning|error/i);

  const index = readFileSync(join(out, 'modules', 'index.html'), 'utf8');
  for (const g of GROUPS) assert.ok(index.includes(`data-key="section-${g}"`), `group ${g} on the index page`);
  assert.doesNotMatch(index, /data-key="section-Functions"/, 'no export left in a kind group');
  const integrations = index.slice(index.indexOf('data-key="section-Integrations"')).split('</details>')[0];
  for (const name of INTEGRATIONS) assert.match(integrations, new RegExp(`\\bindex\\.${name}\\.html"`), `${name} in the Integrations group`);
  assert.ok(readFileSync(join(out, 'modules', 'sha1.html'), 'utf8').includes('data-key="section-Hashing"'));

  const titles = guides.map((f) => readFileSync(join(guidesDir, f), 'utf8').match(/^title: (.+)$/m)[1]);
  const docs = readdirSync(join(out, 'documents'));
  for (const title of titles) assert.ok(docs.includes(`${title.replace(/[^A-Za-z0-9]+/g, '_')}.html`), `guide page for ${title}: ${docs}`);

  // the site's search: its lunr index, queried as the page does
  const lunr = createRequire(join(root, 'node_modules', 'typedoc', 'package.json'))('lunr');
  const data = JSON.parse(inflateSync(Buffer.from(readFileSync(join(out, 'assets', 'search.js'), 'utf8').match(/"(.*)"/)[1], 'base64')));
  const idx = lunr.Index.load(data.index);
  const search = (q) => idx.search(q).map((hit) => data.rows[Number(hit.ref)].name);
  assert.equal(search('SNI')[0], 'A server with SNI');
  assert.ok(search('SNI').includes('sslSetServerNameIdentificationCallback'));
  assert.equal(search('STARTTLS')[0], 'STARTTLS and wrapping streams');
  assert.ok(search('STARTTLS').includes('sslClientUpgrade') || search('STARTTLS').includes('sslServerUpgrade'));
  for (const title of titles) assert.ok(search(title.split(' ').pop()).includes(title), `search finds the guide ${title}`);
  assert.equal(search('fetch')[0], 'fetch and undici');
  assert.ok(search('fetch').includes('sslUndiciConnect'));
  assert.equal(search('undici')[0], 'fetch and undici');
  assert.ok(search('SslAgent').includes('https with SslAgent'));
  assert.ok(search('WebSocket').includes('WebSockets with ws'));
  assert.ok(search('http2').includes('HTTP/2 with http2'));
  // the guides' links to the API resolve (an unresolved one is a warning, above) and point at its pages
  const fetchGuide = readFileSync(join(out, 'documents', 'fetch_and_undici.html'), 'utf8');
  assert.ok(fetchGuide.includes('href="../functions/index.sslServe.html"'), 'the fetch guide links to sslServe');
});

/** What each guide's code says it prints. */
const PRINTS = {
  'verified-client.md': [/^true .*CN=localhost$/m, /^CERTIFICATE_VERIFY_FAILED UNABLE_TO_VERIFY_LEAF_SIGNATURE$/m],
  'server-sni.md': [/^localhost -> \[ 'localhost' \]$/m, /^www\.example\.test -> \[ 'example\.test', '\*\.example\.test' \]$/m],
  'starttls.md': [/^220 go ahead$/m, /^hello over TLS true$/m],
  'mutual-tls.md': [/^server sees .*CN=client\.example\.com.* verified true$/m],
  'choosing-openssl.md': [/source: '(system|node)'/],
  'fetch-undici.md': [/^200 GET \/hello over HTTP\/1\.1$/m, /^200 POST \/upload over HTTP\/2\.0$/m, /^fetch failed <- SslError CERTIFICATE_VERIFY_FAILED$/m],
  'https.md': [/^200 GET \/a \(TLSv1\.3, verified true\)$/m, /^201 POST \/items a new item$/m, /^SslError CERTIFICATE_VERIFY_FAILED$/m],
  'websockets.md': [/^client verified the server: true$/m, /^received: echo hello \(from 127\.0\.0\.1, TLSv1\.3\)$/m],
  'http2.md': [/^200 \/a over HTTP\/2\.0$/m, /^200 \/c over HTTP\/2\.0$/m, /^200 \/old over HTTP\/1\.1$/m],
};

for (const file of guides) {
  test(`the code of guide ${file} runs as written`, async () => {
    const text = readFileSync(join(guidesDir, file), 'utf8');
    const blocks = [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length > 0, `${file} has code`);
    const outputs = [];
    for (const code of blocks) {
      const source = code.replaceAll("from 'openssl-ports'", `from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)}`);
      const r = await run(process.execPath, ['--input-type=module', '-e', source], { timeoutMs: 60000 });
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      assert.equal(r.stderr.toString(), '', file);
      outputs.push(r.stdout.toString());
      for (const re of PRINTS[file] ?? [/./]) assert.match(r.stdout.toString(), re, `${file} prints what it says`);
    }
    // a guide that shows its output ("It prints:" and a text block, one code block) prints exactly that
    const shown = text.match(/It prints:\n\n```text\n([\s\S]*?)```/);
    if (shown) {
      assert.equal(blocks.length, 1, `${file}: one code block for its output`);
      assert.equal(outputs[0], shown[1], `${file} prints what it shows`);
    }
  });
}
