// The layers of src/ point down only (test/support/layers.ts holds the rule and the ranks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSources, importSpecifiers, readSources } from './support/layers.js';

// build/test/layers.test.js -> the repository's src/
const srcDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../src');

test('every import in src/ points to its own layer or a lower one', () => {
  const files = readSources(srcDir);
  assert.ok(files.size > 100, `expected the whole source tree under ${srcDir}, found ${files.size} files`);
  const bad = checkSources(srcDir, files);
  assert.deepEqual(
    bad.map((b) => `${b.file}: ${b.imports} — ${b.reason}`),
    [],
  );
});

test('the check catches an upward import, a sibling import, and a folder with no layer', () => {
  const files = new Map([
    [join(srcDir, 'models/bad.ts'), "import { train } from '../train/trainer.js';\nexport const x = 1;"],
    [join(srcDir, 'train/bad.ts'), "import type { X } from '../infer/predict-files.js';"],
    [join(srcDir, 'infer/ok.ts'), "import { x } from '../models/bad.js';\nconst y = await import('../data/index.js');"],
    [join(srcDir, 'newfolder/a.ts'), 'export const a = 1;'],
  ]);
  const bad = checkSources(srcDir, files);
  assert.equal(bad.length, 3, JSON.stringify(bad, null, 1));
  assert.match(bad[0]!.reason, /models \(layer 6\) imports train \(layer 10\), a higher layer/);
  assert.match(bad[1]!.reason, /train and infer are sibling|infer.*higher layer/);
  assert.match(bad[2]!.reason, /'newfolder' is in no layer/);
});

test('import specifiers: static, type-only, side-effect and dynamic imports are all read', () => {
  const src = "import a from './a.js';\nimport type { B } from '../b.js';\nimport './c.js';\nconst d = await import('../d/e.js');\nexport { f } from './f.js';";
  assert.deepEqual(importSpecifiers(src), ['./a.js', '../b.js', './c.js', '../d/e.js', './f.js']);
});
