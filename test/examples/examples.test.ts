// Every file in examples/ (the README's examples as programs a user copies) runs here on the
// test suite's tiny fixtures, importing the package by its name as a user's project does, so
// the documented examples cannot rot. tsc type-checks them with the rest of the tree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { saveSafetensors } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { tinyFixture, type Fixture } from '../serve/serve-support.js';

const exec = promisify(execFile);
const BUILT = fileURLToPath(new URL('../../examples/', import.meta.url)); // build/examples/
const SOURCES = fileURLToPath(new URL('../../../examples/', import.meta.url)); // examples/
let fx: Fixture;
const dir = mkdtempSync(join(tmpdir(), 'fg-examples-'));
before(async () => {
  fx = await tinyFixture();
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function runExample(name: string, args: string[]): Promise<string> {
  const r = await exec(process.execPath, [join(BUILT, `${name}.js`), ...args], { cwd: dir, timeout: 300_000, maxBuffer: 16 << 20 });
  return r.stdout;
}

test('every example has a test here', () => {
  const names = readdirSync(SOURCES)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  assert.deepEqual(names, ['classify', 'export-onnx', 'fine-tune', 'pretrained-weights', 'serve']);
});

test('classify: top classes, unknown, quality and the attention map', async () => {
  const out = await runExample('classify', [fx.checkpoint, fx.photos.class_0![0]!]);
  assert.match(out, /^class_\d\t\d+\.\d %$/m);
  assert.match(out, /unknown: (true|false) \(score -?\d/);
  assert.match(out, /attention map: \w/);
});

test('fine-tune: a run on a folder reports its validation accuracy and run folder', async () => {
  const out = await runExample('fine-tune', [join(fx.dir, 'train'), '1']);
  const m = /best validation accuracy (\d+\.\d) %, run folder (.+)$/m.exec(out);
  assert.ok(m, out);
  assert.ok(existsSync(join(m[2]!, 'checkpoints/best.safetensors')));
});

test('serve: the embedded server answers one classify request and stops', async () => {
  const out = await runExample('serve', [fx.checkpoint, fx.photos.class_1![0]!]);
  assert.match(out, /^200 \{.*"predictions":\[\{"label":"class_\d"/);
});

test('export-onnx: writes an ONNX file', async () => {
  const out = await runExample('export-onnx', [fx.checkpoint, join(dir, 'tiny.onnx')]);
  assert.match(out, /wrote .*tiny\.onnx: \d+\.\d MB/);
  assert.ok(existsSync(join(dir, 'tiny.onnx')));
});

test('pretrained-weights: a weights file loads with a new head', async () => {
  const file = join(dir, 'regnetx_002.safetensors');
  const m = createModel('regnetx_002', { numClasses: 5 });
  saveSafetensors(file, m.stateDict());
  m.dispose();
  const out = await runExample('pretrained-weights', ['regnetx_002', file, '3']);
  assert.match(out, /regnetx_002\.safetensors: \d+ parameters, a new 3-class head/);
});
