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

test('chooseHead: the closed-form head when it clearly leads on validation, the trained head when it does not', () => {
  const before = liveTensors();
  const rng = new Rng(5, 'choose-head');
  const [c, d] = [4, 8];
  const train = gaussianClasses(rng, c, 30, d);
  const val = gaussianClasses(new Rng(6, 'val'), c, 25, d, train.means);
  scope(() => {
    const g = fitClassGaussians(fromTypedArray(train.x, [c * 30, d]), train.y, c);
    const stats = {
      classMeans: g.classMeans,
      precision: g.precision,
      headWeight: fromTypedArray(
        Float32Array.from({ length: c * d }, () => rng.normal()),
        [c, d],
      ),
      headBias: fromTypedArray(new Float32Array(c), [c]),
    };
    const emb = fromTypedArray(val.x, [c * 25, d]);
    // A trained head at chance level: the closed-form head leads by far.
    const weak = chooseHead(stats, emb, val.y, 0.25);
    assert.equal(weak.kind, 'closed-form');
    assert.ok(weak.closedFormValAccuracy > 0.8, `${weak.closedFormValAccuracy}`);
    // A trained head as good as it: no clear lead, the trained head stays.
    assert.equal(chooseHead(stats, emb, val.y, weak.closedFormValAccuracy).kind, 'trained');
    assert.equal(chooseHead(stats, emb, val.y, 0.25, 'trained').kind, 'trained', 'a forced choice wins');
    g.classMeans.dispose(); // fitClassGaussians keeps its results past the scope
    g.precision.dispose();
  });
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
