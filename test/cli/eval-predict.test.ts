/**
 * `finegrain eval` and `finegrain predict` end to end on a model trained here in seconds
 * (regnetx_002 at 32 px on a tiny synthetic dataset), plus the library pieces under them:
 * TTA and ensemble shapes, an ensemble of a checkpoint with itself, and the error paths.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { train } from '../../src/train/trainer.js';
import { saveCheckpoint } from '../../src/models/checkpoint/checkpoint.js';
import { alignClasses, openLabeled } from '../../src/train/datasets.js';
import { evalLoader } from '../../src/data/loader/eval-loader.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { predictDataset } from '../../src/evaluation/predict-dataset.js';
import { loadEnsemble } from '../../src/infer/predict-files.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { scope } from '../../src/tensor/scope.js';
import { ones } from '../../src/tensor/creation.js';
import { liveTensors } from '../../src/index.js';
import { assertClose } from '../support/assert-close.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';
import { runCli } from './cli-support.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-eval-predict-'));
let best = '';
let last = '';
let other = '';
const testData = join(dir, 'test');
const inputs = join(dir, 'inputs');

before(async () => {
  await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 12, seed: 1 });
  const result = await train(
    {
      model: 'regnetx_002',
      imageSize: 32,
      batchSize: 8,
      workers: 2,
      epochs: 3,
      lr: 0.05,
      warmupEpochs: 0.5,
      augment: 'none',
      precision: 'float32',
      valFraction: 0.25,
      quiet: true,
      dropRate: 0,
      data: join(dir, 'data'),
      out: join(dir, 'runs'),
      name: 'a',
    },
    { log: () => {} },
  );
  best = join(result.runDir, 'checkpoints/best.safetensors');
  last = join(result.runDir, 'checkpoints/last.safetensors');
  // The same weights under other class names: an ensemble partner it must refuse.
  other = join(dir, 'other.safetensors');
  const loaded = loadModelFromCheckpoint(last);
  saveCheckpoint(other, { model: loaded.model, meta: { ...loaded.meta, classes: ['class_0', 'class_2', 'class_1'] } });
  loaded.model.dispose();

  // Labelled test data: the three classes, a class the model never saw, a corrupt file.
  await writeTinyDataset(testData, { classes: 3, perClass: 5, seed: 9 });
  await writeTinyDataset(join(dir, 'extra'), { classes: 4, perClass: 2, seed: 4 });
  mkdirSync(join(testData, 'class_9'));
  for (const i of [0, 1]) copyFileSync(join(dir, 'extra/class_3', `${i}.png`), join(testData, 'class_9', `${i}.png`));
  writeFileSync(join(testData, 'class_0/broken.png'), 'not a png at all');

  // Unlabelled inputs of several sizes, in a subfolder too, with a corrupt file and a text file.
  mkdirSync(join(inputs, 'sub'), { recursive: true });
  copyFileSync(join(testData, 'class_1/0.png'), join(inputs, 'a.png'));
  copyFileSync(join(testData, 'class_2/1.png'), join(inputs, 'sub/b.png'));
  await sharp(join(testData, 'class_0/2.png')).resize(53, 29, { fit: 'fill' }).jpeg().toFile(join(inputs, 'wide.jpg'));
  writeFileSync(join(inputs, 'sub/corrupt.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  writeFileSync(join(inputs, 'notes.txt'), 'hello');
});

const noStack = (stderr: string) => !/\n\s+at /.test(stderr);

test('eval: JSON report fields, and top-1 equal to a direct computation', async () => {
  const json = join(dir, 'eval.json');
  const r = runCli(['eval', '--checkpoint', best, '--data', testData, '--json', json, '--batch-size', '4']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /top-1 \d+\.\d+%\s+top-5 100\.00%/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  for (const key of ['checkpoints', 'images', 'top1', 'top5', 'perClass', 'meanClassAccuracy', 'confusedPairs', 'headTail', 'unknownClasses', 'skipped'])
    assert.ok(key in report, `${key} in the report`);
  assert.equal(report.images, 15);
  assert.equal(report.top5, 1, 'three classes: the true class is always in the top five');
  assert.deepEqual(
    report.perClass.map((p: any) => [p.name, p.images]),
    [
      ['class_0', 5],
      ['class_1', 5],
      ['class_2', 5],
    ],
  );
  assert.deepEqual(report.unknownClasses, { class_9: 2 });
  assert.equal(report.skipped.length, 1);
  assert.ok(report.skipped[0].path.endsWith('broken.png') && ['not-an-image', 'corrupt'].includes(report.skipped[0].reason), JSON.stringify(report.skipped));
  assert.equal(
    report.trainCounts.reduce((a: number, b: number) => a + b, 0),
    27,
    'training counts re-read from the run folder (36 images, 25% held out)',
  );
  assert.ok(
    ['head', 'medium', 'tail'].every((k) => typeof report.headTail[k] === 'number'),
    JSON.stringify(report.headTail),
  );
  const wrong = report.perClass.reduce((s: number, p: any) => s + Math.round(p.images * (1 - p.accuracy)), 0);
  assert.equal(
    report.confusedPairs.reduce((s: number, c: any) => s + c.count, 0),
    wrong,
    'confused pairs count every error',
  );

  // Direct: the model on the evaluation batches, argmax against the labels.
  const before = liveTensors();
  const { model, meta } = loadModelFromCheckpoint(best);
  const ds = alignClasses(openLabeled(testData), meta.classes);
  let correct = 0;
  let n = 0;
  for await (const b of evalLoader(ds, { preprocess: meta.preprocess, batchSize: 7 }).epoch(0)) {
    const pred = noGrad(() => scope(() => Array.from(model.forward(b.images).argmax(1).toTypedArray() as BigInt64Array, Number)));
    b.labelList.forEach((y, i) => {
      n++;
      if (pred[i] === y) correct++;
    });
    b.dispose();
  }
  model.dispose();
  assert.equal(liveTensors(), before);
  assert.equal(n, report.images);
  assert.equal(report.top1, correct / n);

  // The same images as a CUB-style folder whose classes.txt lists the classes in another
  // order: labels are matched to the checkpoint's classes by name, so nothing changes.
  const cub = join(dir, 'cub');
  const order = ['class_2', 'class_0', 'class_1'];
  const lines = { images: [] as string[], labels: [] as string[], split: [] as string[] };
  for (const s of ds.samples) {
    const rel = s.path.slice(testData.length + 1);
    mkdirSync(join(cub, 'images', rel, '..'), { recursive: true });
    copyFileSync(s.path, join(cub, 'images', rel));
    const id = lines.images.length + 1;
    lines.images.push(`${id} ${rel}`);
    lines.labels.push(`${id} ${order.indexOf(meta.classes[s.label]!) + 1}`);
    lines.split.push(`${id} 0`);
  }
  writeFileSync(join(cub, 'images.txt'), lines.images.join('\n'));
  writeFileSync(join(cub, 'image_class_labels.txt'), lines.labels.join('\n'));
  writeFileSync(join(cub, 'train_test_split.txt'), lines.split.join('\n'));
  writeFileSync(join(cub, 'classes.txt'), order.map((c, i) => `${i + 1} ${c}`).join('\n'));
  const cubJson = join(dir, 'eval-cub.json');
  const c = runCli(['eval', '--checkpoint', best, '--data', cub, '--split', 'test', '--json', cubJson]);
  assert.equal(c.status, 0, c.stderr);
  const cubReport = JSON.parse(readFileSync(cubJson, 'utf8'));
  assert.equal(cubReport.images, 15);
  assert.deepEqual(cubReport.perClass, report.perClass);
  assert.equal(cubReport.top1, report.top1);
});

test('TTA and ensembles give the documented shapes; probabilities sum to 1; a checkpoint with itself is the single model', async () => {
  const before = liveTensors();
  const ens = loadEnsemble([{ path: best }, { path: last, weight: 0.5 }]);
  const self = loadEnsemble([{ path: best }, { path: best, weight: 3 }]);
  try {
    const ds = alignClasses(openLabeled(testData), ens.classes);
    const d = ens.members[0]!.model.numFeatures;
    const n = 15;
    const single = await predictDataset(ens.members[0]!, ds, { batchSize: 8 });
    const tta = await predictDataset(ens.members[0]!, ds, { batchSize: 8, tta: { flips: true, scales: [1, 1.25] } });
    const byProbs = await predictDataset(ens.members, ds, { batchSize: 8, ensemble: 'probabilities', tta: { flips: true } });
    const byEmb = await predictDataset(ens.members, ds, { batchSize: 8, ensemble: 'embeddings' });
    const selfProbs = await predictDataset(self.members, ds, { batchSize: 8, ensemble: 'probabilities' });
    const selfEmb = await predictDataset(self.members, ds, { batchSize: 8, ensemble: 'embeddings' });
    try {
      for (const [name, p, width] of [
        ['single', single, d],
        ['tta', tta, d],
        ['probability ensemble', byProbs, d + d],
        ['embedding ensemble', byEmb, d + d],
      ] as const) {
        assert.deepEqual(p.probs.shape, [n, 3], `${name} probs`);
        assert.deepEqual(p.embeddings.shape, [n, width], `${name} embeddings`);
        scope(() => assertClose(p.probs.sum(1), ones([n]), { atol: 1e-5, rtol: 0 }));
        assert.equal(p.indices.length, n);
      }
      assert.ok(scope(() => tta.probs.sub(single.probs).abs().max().item()) > 1e-6, 'TTA changes the probabilities');
      scope(() => assertClose(selfProbs.probs, single.probs, { atol: 1e-5, rtol: 1e-4 }));
      scope(() => assertClose(selfEmb.probs, single.probs, { atol: 1e-5, rtol: 1e-4 }));
      // Embedding ensembles concatenate the embeddings scaled by their share of the weight: [e/4, 3e/4].
      scope(() => assertClose(selfEmb.embeddings.narrow(1, 0, d), single.embeddings.mul(0.25), { atol: 1e-5, rtol: 1e-5 }));
      scope(() => assertClose(selfEmb.embeddings.narrow(1, d, d), single.embeddings.mul(0.75), { atol: 1e-5, rtol: 1e-5 }));
    } finally {
      for (const p of [single, tta, byProbs, byEmb, selfProbs, selfEmb]) p.dispose();
    }
  } finally {
    ens.dispose();
    self.dispose();
  }
  assert.equal(liveTensors(), before, 'no tensor leaks');
});

test("predict: Kaggle CSV, JSON top-k, attention-map PNGs at the inputs' sizes; bad files listed, not fatal", async () => {
  const csv = join(dir, 'submission.csv');
  const maps = join(dir, 'maps');
  const r = runCli([
    'predict',
    '--checkpoint',
    best,
    '--checkpoint',
    last,
    '--ensemble-weight',
    '0.5',
    '--tta',
    'flips',
    inputs,
    '--out',
    csv,
    '--attention-maps',
    maps,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /sub\/corrupt\.jpg/);
  assert.match(r.stderr, /notes\.txt/);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'filename,label');
  const rows = lines.slice(1).map((l) => l.split(','));
  assert.deepEqual(rows.map((x) => x[0]).sort(), ['a.png', 'sub/b.png', 'wide.jpg']);
  assert.ok(
    rows.every((x) => ['class_0', 'class_1', 'class_2'].includes(x[1]!)),
    lines.join('\n'),
  );
  for (const [png, input] of [
    ['a.png', 'a.png'],
    ['sub/b.png', 'sub/b.png'],
    ['wide.png', 'wide.jpg'],
  ]) {
    const [a, b] = await Promise.all([sharp(join(maps, png)).metadata(), sharp(join(inputs, input)).metadata()]);
    assert.deepEqual([a.format, a.width, a.height], ['png', b.width, b.height], png);
  }
  assert.ok(!existsSync(join(maps, 'sub/corrupt.png')));

  const json = join(dir, 'predictions.json');
  const j = runCli([
    'predict',
    '--checkpoint',
    best,
    '--checkpoint',
    last,
    '--ensemble-weight',
    '0.5',
    '--tta',
    'flips',
    '--data',
    inputs,
    '--out',
    json,
    '--top-k',
    '2',
  ]);
  assert.equal(j.status, 0, j.stderr);
  const out = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(out.predictions.length, 3);
  for (const p of out.predictions) {
    assert.equal(p.top.length, 2);
    assert.ok(p.top[0].score >= p.top[1].score && p.top[0].score + p.top[1].score <= 1 + 1e-6);
    // The CSV's label is the JSON's first class.
    assert.equal(rows.find((x) => x[0] === p.filename)![1], p.top[0].label);
  }
  const skipped = out.skipped.map((s: any) => [s.path.slice(inputs.length), s.reason]).sort();
  assert.deepEqual(
    skipped.map((x: string[]) => x[0]),
    ['/notes.txt', '/sub/corrupt.jpg'],
  );
  assert.equal(skipped[0][1], 'unsupported-extension');
  assert.ok(['truncated', 'corrupt', 'not-an-image'].includes(skipped[1][1]), skipped[1][1]);
});

test('bad input: missing checkpoint, different class lists, no inputs, bad flags give messages without stacks', () => {
  const notCheckpoint = join(dir, 'not-a-checkpoint.safetensors');
  writeFileSync(notCheckpoint, '{"hello": 1}');
  const cases: [string[], RegExp][] = [
    [['eval', '--checkpoint', join(dir, 'nope.safetensors'), '--data', testData], /checkpoint not found: .*nope\.safetensors/],
    [['predict', '--checkpoint', best, '--checkpoint', other, inputs], /do not share a class list \(class 1 is 'class_1' vs 'class_2'\)/],
    [['predict', '--checkpoint', best], /no inputs/],
    [['predict', '--checkpoint', best, join(dir, 'missing-dir')], /no images to predict/],
    [['eval', '--checkpoint', best, '--data', testData, '--tta', 'rotate'], /--tta: unknown part 'rotate'/],
    [['eval', '--ensemble-weight', '2', '--checkpoint', best, '--data', testData], /--ensemble-weight must follow the --checkpoint/],
    [['eval', '--checkpoint', notCheckpoint, '--data', testData], /not-a-checkpoint\.safetensors/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(noStack(r.stderr), r.stderr);
  }
});
