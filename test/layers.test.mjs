// The import graph of src/ follows the layers of ARCHITECTURE.md (scripts/check-layers.mjs): no module
// imports a higher layer, and only src/ffi/ imports koffi.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, layerOf, LAYERS, sourceFiles } from '../scripts/check-layers.mjs';

test('src/ has no layering violation and every module is in a layer', () => {
  const files = sourceFiles();
  assert.ok(files.length > 50, `found only ${files.length} source files`);
  assert.deepEqual(check(files), []);
});

test('the check reports a lower layer importing a higher one', () => {
  const problems = check([
    { path: 'context/fake.ts', text: "import type { SslListener } from '../entry/server.js';\n" },
    { path: 'ports/fake.ts', text: "import {\n  Connection,\n} from '../engine/connection.js';\n" },
    { path: 'ffi/fake.ts', text: "export { SslError } from '../errors.js';\n" }, // ffi may use base
    { path: 'api/fake.ts', text: "import { sslListen } from '../entry/server.js';\n" }, // api may use entry
  ]);
  assert.deepEqual(problems, [
    'context/fake.ts (context) imports entry/server.ts (entry), a higher layer',
    'ports/fake.ts (ports) imports engine/connection.ts (engine), a higher layer',
  ]);
});

test('the check reports koffi imported outside src/ffi/, directly or through ffi/koffi.ts', () => {
  const problems = check([
    { path: 'legacy.ts', text: "import { koffi } from './ffi/koffi.js';\n" },
    { path: 'engine/fake.ts', text: "import koffi from 'koffi';\n" },
    { path: 'hash/fake.ts', text: "const k = await import('koffi');\n" },
    { path: 'ffi/fake.ts', text: "import koffi from 'koffi';\nimport { koffi as k } from './koffi.js';\n" },
  ]);
  assert.deepEqual(problems, [
    'legacy.ts: imports koffi through ffi/koffi.ts (only src/ffi/ may)',
    'engine/fake.ts: imports koffi (only src/ffi/ may)',
    'hash/fake.ts: imports koffi (only src/ffi/ may)',
  ]);
});

test('the check reports a module in no layer', () => {
  assert.equal(layerOf('widgets/x.ts'), -1);
  assert.deepEqual(check([{ path: 'widgets/x.ts', text: '' }]), ['widgets/x.ts: in no layer (add it to scripts/check-layers.mjs and ARCHITECTURE.md)']);
  assert.deepEqual(LAYERS.map(([name]) => name), ['base', 'ffi', 'hash', 'context', 'ports', 'engine', 'peer', 'entry', 'api', 'integrations', 'modules', 'cli']);
});

test('the check reports an engine part that imports the connection facade (issue 17)', () => {
  const problems = check([
    { path: 'engine/plaintext.ts', text: "import type { Connection } from './connection.js';\n" },
    { path: 'engine/registry.ts', text: "import { Connection } from './connection.js';\n" },
    { path: 'peer/fake.ts', text: "import type { Connection } from '../engine/connection.js';\n" },
  ]);
  assert.deepEqual(problems, ['engine/plaintext.ts imports engine/connection.ts: an engine part talks to the connection through its own host interface']);
});
