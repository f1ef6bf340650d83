import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  classCounts,
  concatDatasets,
  csvDataset,
  cubDataset,
  DatasetError,
  imageFolder,
  parseCsv,
  SkipReport,
  stratifiedSplit,
  subset,
  unlabeledFolder,
  withLabels,
} from '../../src/data/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// build/test/data -> repository root -> ../shared
const SHARED = resolve(here, '../../../../shared');
const CUB = join(SHARED, 'data/cub100');
const cubSkip = existsSync(join(CUB, 'images.txt'))
  ? false
  : `../shared/data/cub100 not found (looked in ${CUB}); the shared data sits beside the repository on dev machines and CI`;

async function png(path: string, colour = '#884422'): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await sharp({ create: { width: 8, height: 6, channels: 3, background: colour } })
    .png()
    .toFile(path);
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'fg-ds-'));
}

test('imageFolder: classes sorted, images found recursively, odd entries reported, empty class left out', async () => {
  const root = tmp();
  try {
    await png(join(root, 'beta/b1.png'));
    await png(join(root, 'beta/sub/b2.png'));
    await png(join(root, 'alpha/a1.png'));
    await png(join(root, 'alpha/a2.PNG'));
    writeFileSync(join(root, 'alpha/notes.txt'), 'hello');
    writeFileSync(join(root, 'alpha/.DS_Store'), '');
    mkdirSync(join(root, 'gamma')); // empty class folder
    writeFileSync(join(root, 'labels.csv'), 'path,label\n'); // metadata beside the classes
    const ds = imageFolder(root);
    assert.deepEqual(ds.classes, ['alpha', 'beta']);
    assert.deepEqual(classCounts(ds), [2, 2]);
    assert.ok(ds.samples.every((s) => existsSync(s.path)));
    const reasons = ds.skipped.files.map((f) => `${f.reason}:${f.path.slice(root.length + 1)}`).sort();
    assert.deepEqual(reasons, ['empty-class:gamma', 'unsupported-extension:alpha/notes.txt']);
    assert.match(ds.skipped.summary(), /2 files skipped: 1 empty-class, 1 unsupported-extension|2 files skipped: 1 unsupported-extension, 1 empty-class/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('fewer than two usable classes is a clear DatasetError', async () => {
  const root = tmp();
  try {
    await png(join(root, 'only/a.png'));
    mkdirSync(join(root, 'empty'));
    assert.throws(
      () => imageFolder(root),
      (e: unknown) => e instanceof DatasetError && /1 usable class .* at least 2 needed/.test(e.message),
    );
    assert.throws(() => imageFolder(join(root, 'nope')), /cannot read the dataset folder/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('csvDataset: path,label with and without header, Sorghum-100 layout, unknown and missing labels', async () => {
  const root = tmp();
  try {
    for (const [f, c] of [
      ['a.png', '#f00'],
      ['b.png', '#0f0'],
      ['c.png', '#00f'],
      ['d.png', '#ff0'],
    ] as const)
      await png(join(root, 'train_images', f), c);
    // Kaggle's Sorghum-100: image,cultivar; images in train_images/ beside the CSV.
    writeFileSync(join(root, 'train_cultivar_mapping.csv'), 'image,cultivar\na.png,PI_1\nb.png,PI_2\nc.png,PI_1\nmissing.png,PI_2\nd.png,\n');
    const sorghum = csvDataset(join(root, 'train_cultivar_mapping.csv'));
    assert.deepEqual(sorghum.classes, ['PI_1', 'PI_2']);
    assert.deepEqual(
      sorghum.samples.map((s) => [s.path.slice(root.length + 1), s.label]),
      [
        ['train_images/a.png', 0],
        ['train_images/b.png', 1],
        ['train_images/c.png', 0],
      ],
    );
    assert.deepEqual(sorghum.skipped.files.map((f) => f.reason).sort(), ['missing', 'missing-label']);
    // No header, explicit class list: a label naming no class is skipped and reported.
    writeFileSync(join(root, 'plain.csv'), 'train_images/a.png,cat\ntrain_images/b.png,dog\ntrain_images/c.png,cow\n');
    const plain = csvDataset(join(root, 'plain.csv'), { classes: ['cat', 'dog'] });
    assert.deepEqual(
      plain.samples.map((s) => s.label),
      [0, 1],
    );
    assert.equal(plain.skipped.files[0]!.reason, 'unknown-label');
    assert.match(plain.skipped.files[0]!.detail, /"cow"/);
    // Named columns, quoted fields, ids without extension.
    writeFileSync(join(root, 'named.csv'), 'species,id,extra\n"dog",a,"x,y"\ncat,b,z\n');
    const named = csvDataset(join(root, 'named.csv'), { pathColumn: 'id', labelColumn: 'species', extension: '.png', imageRoot: join(root, 'train_images') });
    assert.deepEqual(named.classes, ['cat', 'dog']);
    assert.equal(named.samples.length, 2);
    assert.throws(() => csvDataset(join(root, 'named.csv'), { pathColumn: 'file' }), /no path column named "file"/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('parseCsv handles quotes, escaped quotes, CRLF, BOM and blank lines', () => {
  assert.deepEqual(parseCsv('\ufeffa,b\r\n"x,1","say ""hi"""\r\n\r\nlast,'), [
    ['a', 'b'],
    ['x,1', 'say "hi"'],
    ['last', ''],
  ]);
});

test('cubDataset: metadata with spaces or commas, any class ids, labels naming no class', async () => {
  const root = tmp();
  try {
    for (const f of ['001.A/x1.png', '001.A/x2.png', '002.B/y1.png', '002.B/y2.png', '002.B/y3.png']) await png(join(root, 'images', f));
    writeFileSync(join(root, 'images.txt'), '1 001.A/x1.png\n2 001.A/x2.png\n3 002.B/y1.png\n4 002.B/y2.png\n5 002.B/y3.png\n');
    writeFileSync(join(root, 'image_class_labels.txt'), '1 1\n2 1\n3 2\n4 2\n5 7\n');
    writeFileSync(join(root, 'train_test_split.txt'), '1 1\n2 0\n3 1\n4 0\n5 1\n');
    writeFileSync(join(root, 'classes.txt'), '1 001.A\n2 002.B\n');
    const train = cubDataset(root, { split: 'train' });
    assert.deepEqual(train.classes, ['001.A', '002.B']);
    assert.deepEqual(
      train.samples.map((s) => [s.path.slice(root.length + 1), s.label]),
      [
        ['images/001.A/x1.png', 0],
        ['images/002.B/y1.png', 1],
      ],
    );
    assert.equal(train.skipped.files[0]!.reason, 'unknown-label');
    assert.equal(cubDataset(root, { split: 'test' }).samples.length, 2);
    assert.equal(cubDataset(root, { split: 'all' }).samples.length, 4);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('cub100: 2,903 training and 2,999 test images by the split flag, 100 classes', { skip: cubSkip }, () => {
  const train = cubDataset(CUB, { split: 'train' });
  const testSet = cubDataset(CUB, { split: 'test' });
  assert.equal(train.samples.length, 2903);
  assert.equal(testSet.samples.length, 2999);
  assert.equal(train.classes.length, 100);
  assert.equal(train.classes[0], 'Black_footed_Albatross');
  assert.equal(train.skipped.count, 0);
  assert.ok(classCounts(train).every((n) => n > 0));
});

test('stratifiedSplit is seeded, stratified and keeps every class on both sides', () => {
  const samples = [...Array(100)].map((_, i) => ({ path: `p${i}`, label: i < 90 ? 0 : i < 97 ? 1 : 2 }));
  const ds = { classes: ['a', 'b', 'c'], samples, skipped: new SkipReport(), source: 'mem' };
  const { train, val } = stratifiedSplit(ds, { valFraction: 0.2, seed: 3 });
  assert.equal(train.samples.length + val.samples.length, 100);
  assert.deepEqual(classCounts(val), [18, 1, 1]);
  assert.deepEqual(classCounts(train), [72, 6, 2]);
  const again = stratifiedSplit(ds, { valFraction: 0.2, seed: 3 });
  assert.deepEqual(again.val.samples, val.samples);
  const other = stratifiedSplit(ds, { valFraction: 0.2, seed: 4 });
  assert.notDeepEqual(other.val.samples, val.samples);
  assert.deepEqual(new Set([...train.samples, ...val.samples].map((s) => s.path)).size, 100);
});

test('unlabeled folders, pseudo labels and concatenation keep the class list', async () => {
  const root = tmp();
  try {
    await png(join(root, 'test/1.png'));
    await png(join(root, 'test/deep/2.png'));
    await png(join(root, 'train/a/1.png'));
    await png(join(root, 'train/b/1.png'));
    const unl = unlabeledFolder(join(root, 'test'));
    assert.equal(unl.samples.length, 2);
    assert.ok(unl.samples.every((s) => s.label === -1));
    const train = imageFolder(join(root, 'train'));
    const pseudo = withLabels(unl, [1, -1], train.classes);
    assert.deepEqual(
      pseudo.samples.map((s) => s.label),
      [1],
    );
    const both = concatDatasets(train, pseudo);
    assert.deepEqual(classCounts(both), [1, 2]);
    assert.equal(subset(both, [2]).samples[0]!.label, 1);
    assert.throws(() => concatDatasets(train, { ...pseudo, classes: ['x', 'y'] }), /different classes/);
    copyFileSync(join(root, 'test/1.png'), join(root, 'test/3.png'));
    assert.equal(unlabeledFolder(join(root, 'test')).samples.length, 3);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
