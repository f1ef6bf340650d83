/**
 * The library front door on a tiny trained checkpoint: every input form gives the same
 * answer, the answer equals the eval path's (`predictDataset`, what `finegrain eval` runs),
 * the checkpoint's own mean/std are used, CAM equals Grad-CAM on a linear head, verify's
 * decisions and its unknown-class error, the PNG heat maps, and no tensor outlives dispose().
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { classifier, UnknownClassError } from '../../src/pipeline/classifier.js';
import { loadLibtorchModel } from '../../src/pipeline/libtorch-model.js';
import { classActivationMaps } from '../../src/models/class-activation-map.js';
import { alignClasses, openLabeled } from '../../src/train/datasets.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { saveCheckpoint } from '../../src/models/checkpoint/checkpoint.js';
import { randn } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import { liveTensors } from '../../src/index.js';
import { assertClose } from '../support/assert-close.js';
import { tinyFixture, type Fixture } from '../serve/serve-support.js';

let fx: Fixture;
before(async () => {
  fx = await tinyFixture();
});

test('classify: a path, its bytes and its decoded pixels give the same answer; top-k ordered; unknown and quality filled', async () => {
  const before = liveTensors();
  {
    using clf = await classifier(fx.checkpoint, { precision: 'float32' });
    const path = fx.photos.class_1![0]!;
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const a = await clf.classify(path, { topK: 2 });
    const b = await clf.classify(readFileSync(path), { topK: 2 });
    const c = await clf.classify({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 }, { topK: 2 });
    assert.equal(a.predictions.length, 2);
    assert.ok(a.predictions[0]!.score >= a.predictions[1]!.score);
    for (const other of [b, c]) {
      assert.deepEqual(
        other.predictions.map((p) => p.label),
        a.predictions.map((p) => p.label),
      );
      for (const [i, p] of other.predictions.entries())
        assert.ok(Math.abs(p.score - a.predictions[i]!.score) < 1e-3, `${p.score} vs ${a.predictions[i]!.score}`);
    }
    assert.equal(typeof a.unknown.isUnknown, 'boolean');
    assert.ok(a.unknown.threshold > 0 && a.unknown.method.length > 0);
    assert.equal(typeof a.quality.ok, 'boolean');
    // Quality is judged on the photo itself (48 px), not on the copy shrunk for the 32-px model.
    assert.equal(a.quality.measures.width, 48);
    assert.equal(clf.info.precision, 'float32');
    assert.equal(clf.info.checkpoints[0]!.sha256.length, 64);
  }
  assert.equal(liveTensors(), before, 'using frees every tensor');
});

test('the front door and the eval path (predictDataset) give the same probabilities for every test photo', async () => {
  const clf = await classifier(fx.checkpoint, { precision: 'float32' });
  const model = await loadLibtorchModel(fx.checkpoint, { precision: 'float32' });
  try {
    const ds = alignClasses(openLabeled(join(fx.dir, 'test')), clf.classes);
    const preds = await model.predictDataset(ds, { batchSize: 5 });
    try {
      const probs = preds.probs.toTypedArray() as Float32Array;
      const k = clf.classes.length;
      for (const [i, path] of preds.paths.entries()) {
        const r = await clf.classify(path, { topK: k });
        for (const p of r.predictions) {
          const j = clf.classes.indexOf(p.label);
          assert.ok(Math.abs(p.score - probs[i * k + j]!) < 1e-4, `${path} ${p.label}: ${p.score} vs ${probs[i * k + j]}`);
        }
      }
    } finally {
      preds.dispose();
    }
  } finally {
    clf.dispose();
    model.dispose();
  }
});

test("the checkpoint's own mean/std are used (a checkpoint with other statistics predicts differently)", async () => {
  const loaded = loadModelFromCheckpoint(fx.checkpoint);
  const other = join(fx.dir, 'other-stats.safetensors');
  const stats = { mean: [0.1, 0.9, 0.5] as [number, number, number], std: [0.5, 0.1, 0.3] as [number, number, number] };
  saveCheckpoint(other, { model: loaded.model, meta: { ...loaded.meta, ...stats, preprocess: { ...loaded.meta.preprocess, ...stats } } });
  loaded.model.dispose();
  const a = await classifier(fx.checkpoint, { precision: 'float32' });
  const b = await classifier(other, { precision: 'float32' });
  try {
    assert.deepEqual(b.info.preprocess.std, [0.5, 0.1, 0.3]);
    const path = fx.photos.class_0![0]!;
    const [ra, rb] = [await a.classify(path, { topK: 3 }), await b.classify(path, { topK: 3 })];
    const score = (r: typeof ra, label: string) => r.predictions.find((p) => p.label === label)!.score;
    assert.ok(Math.abs(score(ra, 'class_0') - score(rb, 'class_0')) > 1e-3, 'different normalisation, different scores');
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('CAM from the classifier weights equals Grad-CAM on a linear head; maps are in [0, 1]', () => {
  const { model } = loadModelFromCheckpoint(fx.checkpoint);
  try {
    scope(() => {
      const x = randn([2, 3, 128, 128]); // a 4 x 4 feature map (at 32 px it is 1 x 1: no map to speak of)
      const cam = classActivationMaps(model, x, [0, 2]);
      const gc = classActivationMaps(model, x, [0, 2], { method: 'grad-cam' });
      assert.equal(cam.method, 'cam');
      assert.equal(gc.method, 'grad-cam');
      assert.deepEqual(cam.maps.shape, [2, 128, 128]);
      assertClose(cam.maps, gc.maps, { atol: 1e-4, rtol: 1e-4 });
      assert.ok(cam.maps.min().item() >= 0 && cam.maps.max().item() <= 1 + 1e-6);
      const other = classActivationMaps(model, x, [1, 1]);
      assert.ok(other.maps.sub(cam.maps).abs().max().item() > 1e-3, 'a different class, a different map');
    });
  } finally {
    model.dispose();
  }
});

test('verify: the true class matches or is uncertain, a wrong class is not a match; an unknown name lists the closest; attention is a PNG of the photo', async () => {
  const before = liveTensors();
  const clf = await classifier(fx.checkpoint, { precision: 'float32', verification: { matchMinScore: 0.2 } });
  try {
    const path = fx.photos.class_2![1]!;
    const top = (await clf.classify(path)).predictions[0]!.label;
    const wrong = clf.classes.find((c) => c !== top)!;
    const v = await clf.verify(path, top, { attention: true });
    assert.equal(v.claimed.rank, 1);
    assert.ok(['match', 'uncertain'].includes(v.decision), v.reason);
    if (!v.quality.ok || v.unknown.isUnknown) assert.equal(v.decision, 'uncertain');
    else assert.equal(v.decision, v.claimed.score >= 0.2 ? 'match' : 'uncertain');
    const w = await clf.verify(path, wrong);
    assert.notEqual(w.decision, 'match');
    assert.ok(w.claimed.rank > 1 && w.reason.length > 10);
    assert.match(v.attention!.image, /^data:image\/png;base64,/);
    assert.equal(v.attention!.label, top);
    const png = Buffer.from(v.attention!.image.split(',')[1]!, 'base64');
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 37, 37], 'the photo as decoded for the model (48 px shrunk to 1.15 x 32)');
    await assert.rejects(
      () => clf.verify(path, 'clas_1'),
      (e: unknown) => e instanceof UnknownClassError && e.closest[0] === 'class_1',
    );
    await assert.rejects(() => clf.classify(Buffer.from('not an image')), /not-an-image|corrupt/);
  } finally {
    clf.dispose();
  }
  assert.equal(liveTensors(), before, 'no tensor leaks');
  await assert.rejects(() => clf.classify(fx.photos.class_2![1]!), /after dispose/);
});
