import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cat, scope, stack, type Tensor } from '../../src/index.js';
import {
  classCounts,
  classSignatures,
  compose,
  csvDataset,
  DataLoader,
  generateSynthDataset,
  imageFolder,
  MARK_SHAPES,
  resize,
  stratifiedSplit,
  synthCommand,
} from '../../src/data/index.js';

test('synth writes a folder per class, labels.csv and synth.json that the readers accept', async () => {
  const out = mkdtempSync(join(tmpdir(), 'fg-synth-'));
  try {
    const s = await generateSynthDataset({ out, classes: 5, perClass: 4, size: 48, seed: 3 });
    assert.equal(s.images, 20);
    const ds = imageFolder(out);
    assert.deepEqual(ds.classes, s.classes);
    assert.deepEqual(classCounts(ds), [4, 4, 4, 4, 4]);
    assert.equal(ds.skipped.count, 0);
    const csv = csvDataset(join(out, 'labels.csv'));
    assert.deepEqual(
      csv.samples.map((x) => [x.path, x.label]),
      ds.samples.map((x) => [x.path, x.label]),
    );
    const meta = JSON.parse(readFileSync(join(out, 'synth.json'), 'utf8'));
    assert.deepEqual(Object.values(meta.traits), s.traits);
    // Same seed, same bytes; another seed, other images.
    const again = mkdtempSync(join(tmpdir(), 'fg-synth-'));
    const other = mkdtempSync(join(tmpdir(), 'fg-synth-'));
    try {
      await generateSynthDataset({ out: again, classes: 5, perClass: 4, size: 48, seed: 3 });
      await generateSynthDataset({ out: other, classes: 5, perClass: 4, size: 48, seed: 4 });
      const f = join(s.classes[2]!, readdirSync(join(out, s.classes[2]!))[1]!);
      assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(again, f))));
      assert.ok(!readFileSync(join(out, f)).equals(readFileSync(join(other, f))));
    } finally {
      rmSync(again, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('class signatures: distinct multisets of mark shapes, fixed by the seed', () => {
  const sigs = classSignatures(40, 3, 0);
  assert.equal(new Set(sigs.map((s) => s.join())).size, 40);
  assert.ok(sigs.every((s) => s.length === 3 && s.every((m) => MARK_SHAPES.includes(m))));
  assert.deepEqual(classSignatures(40, 3, 0), sigs);
  assert.throws(() => classSignatures(121, 3, 0), /120 classes at most/);
  // Sets: no shape twice in a class; 8 choose 3 = 56 of them.
  const sets = classSignatures(56, 3, 0, { repeats: false });
  assert.equal(new Set(sets.map((s) => s.join())).size, 56);
  assert.ok(sets.every((s) => new Set(s).size === 3));
  assert.throws(() => classSignatures(57, 3, 0, { repeats: false }), /56 classes at most without repeated shapes/);
  assert.throws(() => classSignatures(1, 3, 0), /at least 2 classes/);
});

test('no shortcut in raw pixels: nearest class mean is near chance', async () => {
  const out = mkdtempSync(join(tmpdir(), 'fg-synth-'));
  try {
    const classes = 6;
    await generateSynthDataset({ out, classes, perClass: 30, size: 64, seed: 11 });
    const { train, val } = stratifiedSplit(imageFolder(out), { valFraction: 0.4, seed: 0 });
    const load = async (ds: typeof train) => {
      const xs: Tensor[] = [];
      const ys: number[] = [];
      for await (const b of new DataLoader(ds, { batchSize: 64, transform: compose([resize([32, 32])]) }).epoch(0)) {
        xs.push(b.images.float().flatten(1).keep());
        ys.push(...b.labelList);
        b.dispose();
      }
      return { x: scope(() => cat(xs, 0)), ys, xs };
    };
    const tr = await load(train);
    const te = await load(val);
    const acc = scope(() => {
      const centroids = stack(
        [...Array(classes).keys()].map((c) => {
          const idx = tr.ys.flatMap((y, i) => (y === c ? [i] : []));
          return stack(
            idx.map((i) => tr.x.select(0, i)),
            0,
          ).mean(0);
        }),
        0,
      );
      const d = te.x.unsqueeze(1).sub(centroids.unsqueeze(0)).square().sum(2); // [n, classes]
      const pred = d.argmin(1).toArray() as number[];
      return pred.filter((p, i) => p === te.ys[i]).length / te.ys.length;
    });
    for (const t of [...tr.xs, ...te.xs, tr.x, te.x]) t.dispose();
    // Chance is 1/6; the class sits in the shapes of small marks, not in colours or layout.
    assert.ok(acc < 0.35, `nearest class mean on raw pixels reaches ${(100 * acc).toFixed(0)}%`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('synthCommand parses its flags and rejects bad ones', async () => {
  const out = mkdtempSync(join(tmpdir(), 'fg-synth-'));
  try {
    await synthCommand(['--out', out, '--classes', '3', '--per-class', '2', '--size', '32', '--seed', '1', '--format', 'jpeg']);
    assert.equal(imageFolder(out).samples.length, 6);
    assert.ok(imageFolder(out).samples.every((s) => s.path.endsWith('.jpg')));
    await assert.rejects(synthCommand(['--classes', '3', '--per-class', '2']), /--out is required/);
    await assert.rejects(synthCommand(['--out', out, '--classes', 'x', '--per-class', '2']), /--classes must be an integer/);
    await assert.rejects(synthCommand(['--out', out, '--classes', '3', '--per-class', '2', '--format', 'gif']), /png or jpeg/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
