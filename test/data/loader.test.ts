import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { liveTensors, scope } from '../../src/index.js';
import {
  classBalancedSampler,
  compose,
  DataLoader,
  imageFolder,
  mixupCutmix,
  normalize,
  randomHorizontalFlip,
  randomResizedCrop,
  randomSampler,
  resize,
  type Batch,
  type ImageDataset,
  type LoaderProgress,
} from '../../src/data/index.js';
import { buildBadCorpus } from './support/corpus.js';

const isRoot = process.getuid?.() === 0;

/** Two classes of small PNGs of varied sizes; class "a" also holds the whole bad corpus. */
async function dataset(): Promise<{ root: string; ds: ImageDataset; good: number; bad: number }> {
  const root = mkdtempSync(join(tmpdir(), 'fg-loader-'));
  let good = 0;
  for (const [cls, colour] of [
    ['a', '#c03020'],
    ['b', '#2040d0'],
  ] as const) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < 9; i++) {
      await sharp({ create: { width: 20 + 3 * i, height: 14 + 2 * i, channels: 3, background: colour } })
        .png()
        .toFile(join(root, cls, `${i}.png`));
      good++;
    }
  }
  const cases = await buildBadCorpus(join(root, 'a', 'corpus'));
  // Listing already sets aside the directory named folder.jpg (a folder) and the dangling
  // link (reported as missing); the other bad files reach the decoder.
  const bad = cases.filter((c) => 'skip' in c.expect && c.file !== 'folder.jpg' && c.file !== 'dangling.jpg' && !(c.rootReads && isRoot)).length;
  good += cases.filter((c) => !('skip' in c.expect) || (c.rootReads && isRoot)).length;
  return { root, ds: imageFolder(root), good, bad };
}

async function collect(loader: DataLoader, epoch: number): Promise<{ sums: number[]; labels: number[]; n: number; skipped: number; batches: number }> {
  const out = { sums: [] as number[], labels: [] as number[], n: 0, skipped: 0, batches: 0 };
  for await (const b of loader.epoch(epoch)) {
    out.sums.push(scope(() => b.images.sum().item()));
    out.labels.push(...b.labelList);
    out.n += b.labelList.length;
    out.skipped += b.skipped;
    out.batches++;
    assert.equal(b.images.size(0), b.labels.size(0));
    assert.deepEqual(b.images.shape.slice(1), [3, 16, 16]);
    b.dispose();
  }
  return out;
}

test('the loader reads every good file, skips every bad one with its reason, and never throws', async () => {
  const { root, ds, good, bad } = await dataset();
  try {
    const base = liveTensors();
    const progress: LoaderProgress[] = [];
    const loader = new DataLoader(ds, {
      batchSize: 5,
      shuffle: true,
      seed: 1,
      transform: compose([randomResizedCrop(16), randomHorizontalFlip(), normalize()]),
      onProgress: (p) => progress.push(p),
    });
    const e0 = await collect(loader, 0);
    assert.equal(e0.n, good);
    assert.equal(e0.skipped, bad);
    const report = loader.decodeFailures;
    assert.equal(report.count, bad);
    const reasons = report.byReason();
    for (const r of ['truncated', 'empty-file', 'not-an-image', 'too-large']) assert.ok(reasons.has(r as never), `no ${r} in ${report.summary()}`);
    assert.deepEqual(
      ds.skipped.files.map((f) => f.reason),
      ['missing'],
    );
    assert.match(loader.report().summary(), new RegExp(`^${bad + ds.skipped.count} files skipped`));
    assert.equal(progress.length, e0.batches);
    assert.equal(progress.at(-1)!.images, good);
    assert.equal(progress.at(-1)!.skipped, bad);
    // Epoch 1: bad files are not decoded or reported again; same images, new order.
    const e1 = await collect(loader, 1);
    assert.equal(e1.n, good);
    assert.equal(report.count, bad);
    assert.notDeepEqual(e1.labels, e0.labels);
    assert.equal(liveTensors(), base, 'batches leaked tensors');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('batches are reproducible under a seed whatever the prefetch depth', async () => {
  const { root, ds } = await dataset();
  try {
    const tf = compose([randomResizedCrop(16), randomHorizontalFlip(), normalize()]);
    const runs = [];
    for (const prefetch of [0, 1, 4]) runs.push(await collect(new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 7, transform: tf, prefetch }), 2));
    assert.deepEqual(runs[1], runs[0]);
    assert.deepEqual(runs[2], runs[0]);
    const other = await collect(new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 8, transform: tf }), 2);
    assert.notDeepEqual(other.sums, runs[0]!.sums);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('stopping early frees the prefetched batches; dropLast and batchesPerEpoch', async () => {
  const { root, ds, good } = await dataset();
  try {
    const base = liveTensors();
    const loader = new DataLoader(ds, { batchSize: 3, transform: compose([resize([16, 16]), normalize()]), prefetch: 3 });
    for await (const b of loader.epoch(0)) {
      b.dispose();
      break;
    }
    assert.equal(liveTensors(), base);
    const dl = new DataLoader(ds, { batchSize: 4, dropLast: true, transform: compose([resize([16, 16])]) });
    assert.equal(dl.batchesPerEpoch(), Math.floor(ds.samples.length / 4));
    let batches: Batch[] = [];
    for await (const b of dl) batches.push(b);
    assert.ok(batches.every((b) => b.labelList.length + b.skipped === 4));
    assert.equal(batches[0]!.images.dtype, 'uint8');
    batches.forEach((b) => b.dispose());
    batches = [];
    assert.ok(good > 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('Mixup/CutMix batches carry soft targets that sum to one', async () => {
  const { root, ds } = await dataset();
  try {
    const loader = new DataLoader(ds, {
      batchSize: 6,
      shuffle: true,
      seed: 2,
      transform: compose([resize([16, 16]), normalize()]),
      mix: mixupCutmix({ mixupAlpha: 0.8, cutmixAlpha: 1, labelSmoothing: 0.1 }),
    });
    for await (const b of loader.epoch(0)) {
      assert.ok(b.targets);
      assert.deepEqual(b.targets!.shape, [b.labelList.length, 2]);
      const rows = scope(() => b.targets!.sum(1).toTypedArray() as Float32Array);
      assert.ok(rows.every((v) => Math.abs(v - 1) < 1e-5));
      b.dispose();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('samplers: seeded permutations per epoch, class-balanced draws for long tails', () => {
  const r = randomSampler(10, 3);
  assert.deepEqual(
    [...r.indices(0)].sort((a, b) => a - b),
    [...Array(10).keys()],
  );
  assert.deepEqual(r.indices(0), randomSampler(10, 3).indices(0));
  assert.notDeepEqual(r.indices(0), r.indices(1));
  const labels = [...Array(1000)].map((_, i) => (i < 900 ? 0 : i < 990 ? 1 : 2));
  const counts = [0, 0, 0];
  for (const i of classBalancedSampler(labels, { seed: 1, numSamples: 3000 }).indices(0)) counts[labels[i]!]!++;
  assert.ok(
    counts.every((c) => c > 850 && c < 1150),
    `balanced counts ${counts}`,
  );
  const sqrt = [0, 0, 0];
  for (const i of classBalancedSampler(labels, { seed: 1, numSamples: 3000, power: 0.5 }).indices(0)) sqrt[labels[i]!]!++;
  assert.ok(sqrt[0]! > sqrt[1]! && sqrt[1]! > sqrt[2]! && sqrt[2]! > 100, `square-root counts ${sqrt}`);
});

test('a file that disappears after listing is skipped, not fatal', async () => {
  const { root, ds } = await dataset();
  try {
    renameSync(join(root, 'b', '3.png'), join(root, 'b', 'gone.bak'));
    const loader = new DataLoader(ds, { batchSize: 8, transform: compose([resize([16, 16])]) });
    for await (const b of loader.epoch(0)) b.dispose();
    assert.ok(loader.decodeFailures.files.some((f) => f.path.endsWith(join('b', '3.png')) && f.reason === 'missing'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
