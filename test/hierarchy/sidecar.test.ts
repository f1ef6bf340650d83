import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HIERARCHY_FORMAT, HierarchyError, hierarchyPath, loadHierarchy, saveHierarchy } from '../../src/hierarchy/index.js';
import { hierarchy as namespace } from '../../src/index.js';
import { FOUR, four } from './helpers.js';

// The sidecar only hashes the checkpoint's bytes, so any bytes stand in for a checkpoint here.
function checkpoint(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fg-hier-'));
  const path = join(dir, 'best.safetensors');
  writeFileSync(path, 'weights v1');
  return path;
}

test('the sidecar round-trips the hierarchy and its thresholds (Infinity stored as null), atomically', () => {
  const ckpt = checkpoint();
  const out = saveHierarchy(ckpt, four(), { thresholds: [0.7, 0.85, Infinity], fit: { maxError: 0.03, images: 120 } });
  assert.equal(out, ckpt.replace(/\.safetensors$/, '.hierarchy.json'));
  assert.equal(out, hierarchyPath(ckpt));
  const stored = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(stored.format, HIERARCHY_FORMAT);
  assert.deepEqual(stored.thresholds, [0.7, 0.85, null]);
  assert.deepEqual(stored.classes['BMW X5 SUV 2007'], ['BMW', 'BMW X5 SUV']);
  assert.equal(stored.checkpoint.file, 'best.safetensors');
  assert.deepEqual(readdirSync(join(ckpt, '..')).sort(), ['best.hierarchy.json', 'best.safetensors'], 'no temp file left');
  const back = loadHierarchy(ckpt, FOUR)!;
  assert.deepEqual(back.thresholds, [0.7, 0.85, Infinity]);
  assert.deepEqual(back.hierarchy.leafPath, four().leafPath);
  assert.deepEqual(back.info.fit, { maxError: 0.03, images: 120 });
  // The checkpoint's class order rules, not the sidecar's.
  const reversed = [...FOUR].reverse();
  assert.deepEqual(loadHierarchy(ckpt, reversed)!.hierarchy.pathOf(0), ['BMW', 'BMW X5 SUV', 'BMW X5 SUV 2012']);
  // Without thresholds: the mapping alone, no checkpoint hash needed.
  const bare = join(ckpt, '..', 'none.safetensors');
  saveHierarchy(bare, four());
  assert.equal(loadHierarchy(bare, FOUR)!.thresholds, null);
  assert.equal(loadHierarchy(join(ckpt, '..', 'other.safetensors'), FOUR), null, 'no sidecar: null');
  assert.throws(() => saveHierarchy(join(ckpt, '..', 'absent.safetensors'), four(), { thresholds: [1, 1, 1] }), /checkpoint not found/);
  assert.equal(typeof namespace.loadHierarchy, 'function', 'exported as the hierarchy namespace of finegrain');
});

test('a sidecar for other classes, other checkpoint bytes, or a damaged one is refused, naming the file', () => {
  const ckpt = checkpoint();
  const path = saveHierarchy(ckpt, four(), { thresholds: [0.7, 0.85, 0.9] });
  const good = readFileSync(path, 'utf8');
  const refused = (classes: readonly string[], pattern: RegExp) =>
    assert.throws(
      () => loadHierarchy(ckpt, classes),
      (e: Error) => e instanceof HierarchyError && e.message.startsWith(path + ': ') && pattern.test(e.message),
      pattern.source,
    );
  refused(
    [...FOUR.slice(0, 3), 'BMW X6 SUV 2012'],
    /other classes than the checkpoint's \(4 there, 4 here; not in the checkpoint: 'BMW X5 SUV 2012'; missing: 'BMW X6 SUV 2012'\)/,
  );
  refused(FOUR.slice(0, 3), /other classes.*not in the checkpoint: 'BMW X5 SUV 2012'/);
  const write = (text: string) => writeFileSync(path, text);
  write(good.slice(0, 40));
  refused(FOUR, /not valid JSON/);
  write(JSON.stringify({ ...JSON.parse(good), format: 'finegrain-hierarchy/0' }));
  refused(FOUR, /expected format finegrain-hierarchy\/1/);
  write(JSON.stringify({ ...JSON.parse(good), thresholds: [0.7, 0.8] }));
  refused(FOUR, /one threshold per level/);
  write(JSON.stringify({ ...JSON.parse(good), thresholds: [0.7, 'high', 0.9] }));
  refused(FOUR, /"thresholds" must be an array/);
  // Class 1 (X3) comes first in class order, so it puts 'BMW X5 SUV' under Audi before the X5s do.
  write(JSON.stringify({ ...JSON.parse(good), classes: { ...JSON.parse(good).classes, 'BMW X3 SUV 2012': ['Audi', 'BMW X5 SUV'] } }));
  refused(FOUR, /'BMW X5 SUV' \(model\) is under both 'Audi' and 'BMW'/);
  write(good);
  assert.ok(loadHierarchy(ckpt, FOUR));
  writeFileSync(ckpt, 'weights v2');
  refused(FOUR, /thresholds were fitted for other checkpoint bytes \(best\.safetensors/);
});
