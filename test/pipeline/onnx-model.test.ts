// The ONNX serving model against the libtorch classifier on the tiny fixture: plain-JS
// preprocessing bit-identical to the native kernels (whole-image resize and resize + centre
// crop), the same predictions, unknown verdicts and quality; logit-only unknown scores equal
// the tensor ones; feature-bank calibrations fall back and say so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { readOnnxMetadataProps } from '../../src/export/read-metadata.js';
import { parseExportMetadata } from '../../src/export/metadata.js';
import { energyScore } from '../../src/open-world/ood/energy.js';
import { maxLogitScore } from '../../src/open-world/ood/max-logit.js';
import { mspScore } from '../../src/open-world/ood/msp.js';
import { logitScore, logitVerdicts } from '../../src/open-world/logit-verdict.js';
import { CALIBRATION_FORMAT, FittedCalibration } from '../../src/open-world/calibration.js';
import { loadLibtorchModel, type LibtorchModel } from '../../src/pipeline/libtorch-model.js';
import { decodeInput } from '../../src/pipeline/input.js';
import { loadOnnxModel, type OnnxModel } from '../../src/pipeline/onnx-model.js';
import { pixelsToInput } from '../../src/pipeline/pixels-to-input.js';
import { preprocessBatch } from '../../src/pipeline/preprocess.js';
import { imagenetPreprocess } from '../../src/models/preprocess-config.js';
import { randn } from '../../src/tensor/creation.js';
import { tinyFixture, type Fixture } from '../serve/serve-support.js';

let fx: Fixture;
let clf: LibtorchModel;
let onnx: OnnxModel;
let dir: string;
let photos: string[];

before(async () => {
  fx = await tinyFixture();
  photos = fx.classes.flatMap((c) => fx.photos[c]!);
  clf = await loadLibtorchModel(fx.checkpoint, { precision: 'float32' });
  dir = mkdtempSync(join(tmpdir(), 'fg-onnxclf-'));
  const file = await clf.onnxModel();
  writeFileSync(join(dir, 'tiny.onnx'), file.bytes);
  onnx = await loadOnnxModel(join(dir, 'tiny.onnx'), { intraOpThreads: 1 });
});

after(() => {
  onnx?.dispose();
  clf?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('plain-JS preprocessing is bit-identical to the native pipeline (resize, and resize + centre crop of a non-square photo)', async () => {
  const wide = await sharp(photos[0]!).resize(120, 70, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  const tall = await sharp(photos[1]!).resize(51, 97, { fit: 'fill' }).png().toBuffer();
  for (const spec of [
    clf.info.preprocess,
    imagenetPreprocess(32, { cropFraction: 0.875 }),
    imagenetPreprocess(29, { cropFraction: 0.8, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }),
  ]) {
    for (const input of [...photos.slice(0, 4), wide, tall]) {
      const image = await decodeInput(input, spec);
      const x = preprocessBatch([image], spec);
      const want = x.toTypedArray() as Float32Array;
      x.dispose();
      const got = pixelsToInput([image], spec);
      assert.equal(got.length, want.length);
      let differ = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) differ++;
      assert.equal(differ, 0, `${differ} of ${got.length} values differ (cropFraction ${spec.cropFraction}, ${image.width}x${image.height})`);
    }
  }
});

test('ONNX serving model: same top classes, probabilities, unknown verdicts and quality as the libtorch classifier', async () => {
  assert.equal(onnx.info.runtime, 'onnx');
  assert.equal(onnx.info.attentionMethod, null);
  assert.deepEqual(onnx.classes, clf.classes);
  assert.deepEqual(onnx.info.preprocess, clf.info.preprocess);
  const images = await Promise.all(photos.map((p) => onnx.decode(p)));
  const ours = await onnx.runBatch(images.map((image, i) => ({ image, topK: 3, claimedClass: i % 3 })));
  const theirs = clf.runBatch(images.map((image, i) => ({ image, topK: 3, claimedClass: i % 3 })));
  ours.forEach((r, i) => {
    const t = theirs[i]!;
    assert.deepEqual(
      r.predictions.map((p) => p.label),
      t.predictions.map((p) => p.label),
      `photo ${i}`,
    );
    r.predictions.forEach((p, j) => assert.ok(Math.abs(p.score - t.predictions[j]!.score) < 1e-4, `photo ${i} score ${j}`));
    assert.equal(r.unknown.isUnknown, t.unknown.isUnknown);
    assert.equal(r.unknown.method, t.unknown.method);
    assert.ok(Math.abs(r.unknown.score - t.unknown.score) < 1e-4);
    assert.deepEqual(r.quality, t.quality);
    assert.equal(r.claimed!.rank, t.claimed!.rank);
    assert.deepEqual(onnx.decideVerification(r).decision, clf.decideVerification(t).decision);
  });
  await assert.rejects(onnx.runBatch([{ image: images[0]!, attentionClass: 'top' }]), /attention maps are not available/);
  assert.throws(() => onnx.classIndex('clas_1'), /not one of the model's classes; closest: 'class_1'/);
});

test("the classifier's ONNX file carries the serving preprocessing and calibration", async () => {
  const a = await clf.onnxModel();
  assert.equal(await clf.onnxModel(), a, 'exported once, then cached');
  const meta = parseExportMetadata(readOnnxMetadataProps(a.bytes));
  assert.deepEqual(meta.classes, fx.classes);
  assert.deepEqual(meta.preprocessing.inputSize, [32, 32]);
  assert.equal(meta.preprocessing.cropFraction, clf.info.preprocess.cropFraction);
  assert.equal(JSON.parse(meta.calibration!).method, 'msp');
  assert.equal(a.sha256.length, 64);
});

test('logit-only unknown scores equal the tensor scores; feature-bank calibrations fall back and say so', () => {
  const logits = randn([5, 7]).mul(3);
  const rows = logits.toTypedArray() as Float32Array;
  const want = { msp: mspScore(logits, 1.7), max_logit: maxLogitScore(logits), energy: energyScore(logits) };
  for (const [m, scores] of Object.entries(want)) {
    for (let i = 0; i < 5; i++) {
      const got = logitScore(m as 'msp', rows.subarray(i * 7, (i + 1) * 7), m === 'msp' ? 1.7 : 1);
      assert.ok(Math.abs(got - scores[i]!) < 1e-5 * Math.max(1, Math.abs(scores[i]!)), `${m} row ${i}: ${got} vs ${scores[i]}`);
    }
  }
  logits.dispose();
  const energy = logitVerdicts({ calibrated: true, method: 'energy', temperature: 1.3, thresholds: { energy: 2.5 } });
  assert.deepEqual([energy.method, energy.threshold, energy.calibrated, energy.note], ['energy', 2.5, true, undefined]);
  assert.equal(energy.verdict([10, 0, 0]).isUnknown, false);
  assert.equal(energy.verdict([0, 0, 0]).isUnknown, true);
  const knn = logitVerdicts({ calibrated: true, method: 'knn', temperature: 1, thresholds: { knn: -0.4, max_logit: 3 } });
  assert.deepEqual([knn.method, knn.threshold, knn.calibrated], ['max_logit', 3, true]);
  assert.match(knn.note!, /'knn' needs fitted statistics.*'max_logit'/);
  const bare = logitVerdicts({ calibrated: true, method: 'mahalanobis', thresholds: { mahalanobis: -9 } });
  assert.deepEqual([bare.method, bare.threshold, bare.calibrated], ['msp', 0.2, false]);
  assert.match(bare.note!, /uncalibrated MSP default/);
  assert.equal(logitVerdicts(null).calibrated, false);
});

test('a calibrated checkpoint through finegrain export: the ONNX model gives its temperature-scaled probabilities and fitted verdicts', async () => {
  const ckpt = join(dir, 'calibrated.safetensors');
  copyFileSync(fx.checkpoint, ckpt);
  const info = {
    format: CALIBRATION_FORMAT,
    method: 'msp',
    temperature: 1.7,
    passRate: 0.95,
    thresholds: { msp: 0.45, energy: 1.2 },
    k: 1,
    reactPercentile: 90,
    scalePercentile: 85,
    numClasses: 3,
    embeddingSize: clf.members[0]!.model.numFeatures,
  } as const;
  new FittedCalibration(info, {}).save(ckpt);
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const out = join(dir, 'calibrated.onnx');
  const r = spawnSync(process.execPath, [main, 'export', '--checkpoint', ckpt, '--out', out], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const calibrated = await loadLibtorchModel(ckpt, { precision: 'float32' });
  const exported = await loadOnnxModel(out, { intraOpThreads: 1 });
  try {
    assert.equal((exported.info.calibration as { calibrated: boolean }).calibrated, true);
    const images = await Promise.all(photos.map((p) => exported.decode(p)));
    const ours = await exported.runBatch(images.map((image) => ({ image })));
    const theirs = calibrated.runBatch(images.map((image) => ({ image })));
    ours.forEach((o, i) => {
      const t = theirs[i]!;
      assert.deepEqual(
        [o.unknown.method, o.unknown.threshold, o.unknown.calibrated, o.unknown.isUnknown],
        [t.unknown.method, t.unknown.threshold, t.unknown.calibrated, t.unknown.isUnknown],
      );
      assert.ok(Math.abs(o.unknown.score - t.unknown.score) < 1e-4);
      assert.ok(Math.abs(o.predictions[0]!.score - t.predictions[0]!.score) < 1e-4, 'temperature-scaled probabilities');
    });
  } finally {
    exported.dispose();
    calibrated.dispose();
  }
});
