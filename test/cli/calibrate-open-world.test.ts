/**
 * `finegrain calibrate` and `finegrain eval --ood/--corruptions/--report` end to end on a
 * model trained here in seconds (regnetx_002 at 32 px on a tiny synthetic dataset), and
 * their error paths: a checkpoint without calibration, an OOD folder with no images, bad flags.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/train/trainer.js';
import { loadCalibration, calibrationPath } from '../../src/open-world/calibration.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';
import { runCli } from './cli-support.js';
import { seededSample } from '../../src/data/datasets/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-open-world-'));
let best = '';

before(async () => {
  await writeTinyDataset(join(dir, 'data'), { classes: 3, perClass: 12, seed: 1 });
  await writeTinyDataset(join(dir, 'unknown'), { classes: 2, perClass: 6, seed: 9 });
  const result = await train(
    {
      model: 'regnetx_002',
      imageSize: 32,
      batchSize: 8,
      workers: 2,
      epochs: 2,
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
});

test('calibrate fits on the run split and writes a sidecar that loads with its thresholds', () => {
  const r = runCli(['calibrate', '--checkpoint', best, '--k', '2', '--method', 'energy', '--json', join(dir, 'cal.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /temperature [\d.]+; validation ECE/);
  assert.ok(existsSync(calibrationPath(best)));
  const cal = loadCalibration(best)!;
  assert.equal(cal.method, 'energy');
  assert.equal(cal.info.k, 2);
  const json = JSON.parse(readFileSync(join(dir, 'cal.json'), 'utf8'));
  assert.deepEqual(json.thresholds, cal.info.thresholds);
  assert.equal(json.temperature, cal.temperature);
  cal.dispose();
});

test('eval --ood --corruptions --report writes the scores, the figures and the page', () => {
  const report = join(dir, 'report');
  const r = runCli([
    'eval',
    '--checkpoint',
    best,
    '--data',
    join(dir, 'data'),
    '--ood',
    join(dir, 'unknown'),
    '--corruptions',
    'contrast,pixelate',
    '--severities',
    '1,3',
    '--corruption-limit',
    '6',
    '--report',
    report,
    '--json',
    join(dir, 'eval.json'),
    '--ood-plot',
    join(dir, 'hist.png'),
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /out-of-distribution: 36 known-class test images against 12 unknowns/);
  assert.match(r.stdout, /knn\s+[\d.]+/);
  const json = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'));
  const ow = json.openWorld;
  for (const s of ['msp', 'max_logit', 'energy', 'knn', 'mahalanobis', 'react', 'scale']) {
    const row = ow.ood.scores[s];
    assert.ok(row.auroc >= 0 && row.auroc <= 1, s);
    assert.ok(row.fpr95 >= 0 && row.fpr95 <= 1, s);
  }
  assert.equal(ow.ood.atThreshold.method, 'energy');
  assert.ok(ow.calibration.eceBefore >= 0);
  assert.ok(ow.calibration.eceFloor.mean > 0 && ow.calibration.eceFloor.p95 >= ow.calibration.eceFloor.mean, JSON.stringify(ow.calibration.eceFloor));
  // The debiased estimate is the same ECE's: its plug-in term equals eceAfter, and the upper bound sits above the point.
  const d = ow.calibration.debiasedAfter;
  assert.ok(Math.abs(d.ece - ow.calibration.eceAfter) < 1e-12, JSON.stringify(d));
  assert.ok(d.l2Upper >= d.l2 && d.l2StandardError > 0 && d.level === 0.95, JSON.stringify(d));
  assert.match(r.stdout, /after, debiased \(Kumar et al\. 2019\): ℓ1 -?[\d.]+%, ℓ2 [\d.]+%; at 95 % confidence .* at most [\d.]+%/);
  assert.match(readFileSync(join(report, 'index.html'), 'utf8'), /debiased ℓ2 calibration error/);
  assert.equal(ow.corruptions.rows.length, 4);
  assert.equal(ow.corruptions.images, 6);
  for (const f of ['index.html', 'report.json', 'reliability.png', 'ood-histograms.png', 'corruptions.png', 'per-class-accuracy.png'])
    assert.ok(existsSync(join(report, f)), f);
  assert.ok(existsSync(join(dir, 'hist.png')));
  const html = readFileSync(join(report, 'index.html'), 'utf8');
  assert.match(html, /<img src="ood-histograms.png"/);
  assert.match(html, /Corruptions/);
});

test('--corruption-limit samples across classes, seeded, in the data order', () => {
  // 4 classes of 10, listed class by class as folder-per-class data lists them.
  const samples = Array.from({ length: 40 }, (_, i) => ({ path: `img${i}.jpg`, label: Math.floor(i / 10) }));
  const a = seededSample(samples, 12, 0);
  assert.equal(a.length, 12);
  assert.ok(new Set(a.map((s) => s.label)).size >= 3, `labels ${a.map((s) => s.label)}`); // the first 12 would hold 2
  assert.deepEqual(a, seededSample(samples, 12, 0));
  assert.notDeepEqual(a, seededSample(samples, 12, 1));
  const order = a.map((s) => samples.indexOf(s));
  assert.deepEqual(
    order,
    [...order].sort((x, y) => x - y),
  );
  assert.equal(seededSample(samples, 40, 0), samples);
});

test('bad input: no calibration, an OOD folder without images, unknown corruption, an ensemble', () => {
  const bare = join(dir, 'bare.safetensors');
  copyFileSync(best, bare);
  let r = runCli(['eval', '--checkpoint', bare, '--data', join(dir, 'data'), '--ood', join(dir, 'unknown')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /has no calibration .*finegrain calibrate/);
  const empty = join(dir, 'empty');
  mkdirSync(empty, { recursive: true });
  r = runCli(['eval', '--checkpoint', best, '--data', join(dir, 'data'), '--ood', empty]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /no images|holds no images/);
  r = runCli(['eval', '--checkpoint', best, '--data', join(dir, 'data'), '--corruptions', 'fog']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown 'fog'/);
  r = runCli(['eval', '--checkpoint', best, '--checkpoint', best, '--data', join(dir, 'data'), '--ood', join(dir, 'unknown')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /one checkpoint/);
  r = runCli(['calibrate', '--checkpoint', bare]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /validation data \(--data VAL\) is required/);
  r = runCli(['calibrate', '--checkpoint', best, '--pass-rate', '1.5']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--pass-rate must be a number in \(0, 1\)/);
  r = runCli(['calibrate', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--pass-rate R/);
});
