/**
 * The head a calibrated model answers with: the closed-form LDA head when validation clearly
 * prefers it, the trained head otherwise; `calibrate` stores the choice, fits temperature and
 * thresholds on that head's logits, and the classifier answers with it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate, classifier, liveTensors } from '../../src/index.js';
import { answeringLogits, chooseHead } from '../../src/open-world/choose-head.js';
import { closedFormHead, estimateMeanScale, fitClosedFormReference } from '../../src/open-world/closed-form-head.js';
import { fitClassGaussians } from '../../src/open-world/ood/mahalanobis.js';
import { loadCalibration } from '../../src/open-world/calibration.js';
import { servedModelOf } from '../../src/pipeline/classifier.js';
import type { LibtorchModel } from '../../src/pipeline/libtorch-model.js';
import { fromTypedArray } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import { Rng } from '../../src/data/random.js';
import { tinyFixture } from '../serve/serve-support.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-choose-head-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** n points per class around well-separated means, in d dimensions. */
function gaussianClasses(rng: Rng, c: number, n: number, d: number, given?: Float32Array): { x: Float32Array; y: number[]; means: Float32Array } {
  const means = given ?? Float32Array.from({ length: c * d }, () => rng.normal() * 2);
  const x = new Float32Array(c * n * d);
  const y: number[] = [];
  for (let k = 0; k < c; k++)
    for (let i = 0; i < n; i++) {
      y.push(k);
      for (let j = 0; j < d; j++) x[(k * n + i) * d + j] = means[k * d + j]! + rng.normal();
    }
  return { x, y, means };
}

/** Class statistics fitted on `train`, beside a random trained head (new tensors the caller disposes: classMeans, precision). */
function statsWithRandomHead(rng: Rng, train: { x: Float32Array; y: number[] }, c: number, n: number, d: number) {
  const g = fitClassGaussians(fromTypedArray(train.x, [c * n, d]), train.y, c);
  return {
    classMeans: g.classMeans,
    precision: g.precision,
    headWeight: fromTypedArray(
      Float32Array.from({ length: c * d }, () => rng.normal()),
      [c, d],
    ),
    headBias: fromTypedArray(new Float32Array(c), [c]),
  };
}

test('chooseHead: the closed-form head when it clearly leads on validation, the trained head when it does not', () => {
  const before = liveTensors();
  const rng = new Rng(5, 'choose-head');
  const [c, d] = [4, 8];
  const train = gaussianClasses(rng, c, 30, d);
  const val = gaussianClasses(new Rng(6, 'val'), c, 25, d, train.means);
  scope(() => {
    const stats = statsWithRandomHead(rng, train, c, 30, d);
    const emb = fromTypedArray(val.x, [c * 25, d]);
    // A trained head at chance level: the closed-form head leads by far.
    const weak = chooseHead(stats, emb, val.y, 0.25);
    assert.equal(weak.kind, 'closed-form');
    assert.ok(weak.closedFormValAccuracy > 0.8, `${weak.closedFormValAccuracy}`);
    // A trained head as good as it: no clear lead, the trained head stays.
    assert.equal(chooseHead(stats, emb, val.y, weak.closedFormValAccuracy).kind, 'trained');
    assert.equal(chooseHead(stats, emb, val.y, 0.25, 'trained').kind, 'trained', 'a forced choice wins');
    stats.classMeans.dispose(); // fitClassGaussians keeps its results past the scope
    stats.precision.dispose();
  });
  assert.equal(liveTensors(), before);
});

test('the mean scale β: measured from photos that sit nearer the centre, and a trained class placed at m + β (μ − m)', () => {
  const before = liveTensors();
  const rng = new Rng(7, 'mean-scale');
  const [c, d, n] = [6, 8, 40];
  const train = gaussianClasses(rng, c, 30, d);
  // Unseen photos of class k: around m + 0.6 (μ_k − m), as a network's unseen photos are.
  const m = Array.from({ length: d }, (_, j) => train.means.filter((_, i) => i % d === j).reduce((a, b) => a + b, 0) / c);
  const shrunk = Float32Array.from(train.means, (v, i) => m[i % d]! + 0.6 * (v - m[i % d]!));
  const val = gaussianClasses(new Rng(8, 'val'), c, n, d, shrunk);
  scope(() => {
    const g = fitClassGaussians(fromTypedArray(train.x, [c * 30, d]), train.y, c);
    // A trained head like LDA's (a random one can make the fitted scale a negative).
    const stats = { classMeans: g.classMeans, precision: g.precision, headWeight: g.classMeans, headBias: g.classMeans.square().sum(1).mul(-0.5) };
    const emb = fromTypedArray(val.x, [c * n, d]);
    const ref1 = fitClosedFormReference(stats, { shrinkage: 0.3 });
    const beta = estimateMeanScale(ref1, stats.classMeans, emb, val.y);
    assert.ok(Math.abs(beta - 0.6) < 0.08, `β ${beta}, want ≈ 0.6`);
    // The head at β places each trained class where the head at β = 1 places its scaled mean (up to the fitted scale a).
    const refB = fitClosedFormReference(stats, { shrinkage: 0.3, meanScale: beta });
    assert.equal(refB.meanScale, beta);
    const exact = Array.from({ length: c }, () => Infinity);
    const h = closedFormHead(refB, stats.classMeans, exact);
    const scaledMeans = stats.classMeans.sub(ref1.center.unsqueeze(0)).mul(beta).add(ref1.center.unsqueeze(0));
    const h1 = closedFormHead(ref1, scaledMeans, exact);
    const wB = h.weight.div(refB.scale).toTypedArray() as Float32Array;
    const w1 = h1.weight.div(ref1.scale).toTypedArray() as Float32Array;
    wB.forEach((v, i) => assert.ok(Math.abs(v - w1[i]!) < 1e-3 * (1 + Math.abs(v)), `weight ${i}: ${v} vs ${w1[i]}`));
    const bB = h.bias.sub(refB.meanBias).div(refB.scale).toTypedArray() as Float32Array;
    const b1 = h1.bias.sub(ref1.meanBias).div(ref1.scale).toTypedArray() as Float32Array;
    bB.forEach((v, i) => assert.ok(Math.abs(v - b1[i]!) < 1e-3 * (1 + Math.abs(v)), `bias ${i}: ${v} vs ${b1[i]}`));
    // An enrolled class (a finite photo count) is not scaled: its mean is from unseen photos already.
    const one = stats.classMeans.narrow(0, 0, 1);
    const enrolledB = closedFormHead(refB, one, [1e9]).weight.div(refB.scale);
    const enrolled1 = closedFormHead(ref1, one, [1e9]).weight.div(ref1.scale);
    assert.ok(enrolledB.sub(enrolled1).abs().max().item() < 1e-3 * (1 + enrolled1.abs().max().item()));
    // chooseHead measures β and keeps it when it scores validation better; photos at the trained means keep β = 1.
    const chosen = chooseHead(stats, emb, val.y, 0.25);
    assert.ok(chosen.meanScale! < 0.7 && chosen.meanScale! > 0.5, `chosen β ${chosen.meanScale}`);
    const atMeans = gaussianClasses(new Rng(9, 'val'), c, n, d, train.means);
    assert.ok(estimateMeanScale(ref1, stats.classMeans, fromTypedArray(atMeans.x, [c * n, d]), atMeans.y) > 0.9);
    assert.throws(() => fitClosedFormReference(stats, { meanScale: 1.5 }), /meanScale must be in \(0, 1\]/);
    for (const r of [ref1, refB]) r.dispose();
    g.classMeans.dispose();
    g.precision.dispose();
  });
  assert.equal(liveTensors(), before);
});

test('a trained head unrelated to LDA (a random one) still gives a closed-form head that ranks classes right way up', () => {
  const before = liveTensors();
  const [c, d] = [4, 8];
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const rng = new Rng(seed, 'random-head');
    const train = gaussianClasses(rng, c, 30, d);
    const val = gaussianClasses(new Rng(seed, 'val'), c, 25, d, train.means);
    scope(() => {
      const stats = statsWithRandomHead(rng, train, c, 30, d);
      const ref = fitClosedFormReference(stats, { shrinkage: 0.3 });
      assert.ok(ref.scale > 0, `seed ${seed}: scale ${ref.scale}`);
      ref.dispose();
      const chosen = chooseHead(stats, fromTypedArray(val.x, [c * 25, d]), val.y, 0.25);
      assert.ok(chosen.closedFormValAccuracy > 0.8, `seed ${seed}: closed-form validation top-1 ${chosen.closedFormValAccuracy}`);
      stats.classMeans.dispose();
      stats.precision.dispose();
    });
  }
  assert.equal(liveTensors(), before);
});

test('calibrate stores the choice; the classifier, its export and a reload answer with that head', async () => {
  const fx = await tinyFixture();
  mkdirSync(join(dir, 'a'));
  const ckpt = join(dir, 'a', 'best.safetensors');
  copyFileSync(fx.checkpoint, ckpt);
  const forced = await calibrate(ckpt, { data: join(fx.dir, 'train'), precision: 'float32', head: 'closed-form' });
  assert.equal(forced.head.kind, 'closed-form');
  const stored = loadCalibration(ckpt)!;
  assert.equal(stored.info.head?.kind, 'closed-form');
  // What fitHierarchy and other readers of raw logits use: the closed-form head's logits.
  scope(() => {
    const emb = fromTypedArray(new Float32Array(2 * stored.info.embeddingSize).fill(0.5), [2, stored.info.embeddingSize]);
    const trainedLogits = fromTypedArray(new Float32Array(2 * 3), [2, 3]);
    const answered = answeringLogits(stored, trainedLogits, emb);
    assert.notEqual(answered, trainedLogits);
    assert.deepEqual(answered.shape, [2, 3]);
  });
  stored.dispose();
  {
    using clf = await classifier(ckpt, { precision: 'float32' });
    const model = servedModelOf(clf) as LibtorchModel;
    const head = model.closedFormHead();
    assert.ok(head, 'the classifier answers with the closed-form head');
    assert.deepEqual(head.classes, fx.classes);
    const r = await clf.classify(fx.photos.class_1![0]!, { topK: 3 });
    assert.ok(Math.abs(r.predictions.reduce((s, p) => s + p.score, 0) - 1) < 1e-4);
  }
  const auto = await calibrate(ckpt, { data: join(fx.dir, 'train'), precision: 'float32' });
  assert.ok(['trained', 'closed-form'].includes(auto.head.kind));
  await calibrate(ckpt, { data: join(fx.dir, 'train'), precision: 'float32', head: 'trained' });
  using trained = await classifier(ckpt, { precision: 'float32' });
  assert.equal((servedModelOf(trained) as LibtorchModel).closedFormHead(), null, 'the trained head answers');
});
