/**
 * Enrollment: a class added from a few photos with no gradient step joins the trained head's
 * softmax, the unknown detector and the sidecar; bad enrollments change nothing; the closed
 * form reproduces a head that is exactly LDA.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifier, liveTensors } from '../../src/index.js';
import { EnrollmentError } from '../../src/enrollment/errors.js';
import { enrolledPath } from '../../src/enrollment/sidecar.js';
import { closedFormHead, fitClosedFormReference } from '../../src/open-world/closed-form-head.js';
import { MAX_ENROLL_PHOTOS, defaultCorrection } from '../../src/enrollment/limits.js';
import { loadCalibration } from '../../src/open-world/calibration.js';
import { fromTypedArray } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import { Rng } from '../../src/data/random.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/index.js';
import type { Fixture } from '../serve/serve-support.js';
import { enrollFixture } from './enroll-fixture.js';

let fx: Fixture;
let ckpt: string;
let uncalibrated: string;
let newPhotos: string[];
const dir = mkdtempSync(join(tmpdir(), 'fg-enroll-'));

before(async () => {
  ({ fx, ckpt, newPhotos } = await enrollFixture(dir));
  // A second copy without calibration.
  mkdirSync(join(dir, 'b'));
  uncalibrated = join(dir, 'b', 'best.safetensors');
  copyFileSync(fx.checkpoint, uncalibrated);
});
after(() => rmSync(dir, { recursive: true, force: true }));
// Each test starts from the trained classes alone, whatever the one before left.
beforeEach(() => {
  if (ckpt) rmSync(enrolledPath(ckpt), { force: true });
});

test('a head that is exactly LDA is reproduced: the closed form over the class means scores as the trained head does, up to a shift every class shares', () => {
  const rng = new Rng(3, 'lda');
  const c = 5;
  const d = 6;
  // Class means, a diagonal precision, and the head: a = 2 times the LDA logits plus a shared offset.
  const means = Float32Array.from({ length: c * d }, () => rng.normal() * 3);
  const prec = new Float32Array(d * d);
  for (let i = 0; i < d; i++) prec[i * d + i] = 1 / (0.5 + i * 0.3);
  const a = 2;
  const w = new Float32Array(c * d);
  const b = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let quad = 0;
    for (let i = 0; i < d; i++) {
      w[k * d + i] = a * prec[i * d + i]! * means[k * d + i]!;
      quad += means[k * d + i]! * prec[i * d + i]! * means[k * d + i]!;
    }
    b[k] = -0.5 * a * quad + 0.7;
  }
  const before = liveTensors();
  scope(() => {
    const ref = fitClosedFormReference(
      {
        classMeans: fromTypedArray(means, [c, d]),
        precision: fromTypedArray(prec, [d, d]),
        headWeight: fromTypedArray(w, [c, d]),
        headBias: fromTypedArray(b, [c]),
      },
      { shrinkage: 1e-3, calibrationRidge: 1e-3 },
    );
    try {
      assert.ok(Math.abs(ref.scale - a) < 1e-3, `scale ${ref.scale}`);
      assert.ok(ref.fit > 0.999, `fit ${ref.fit}`);
      const head = closedFormHead(
        ref,
        fromTypedArray(means, [c, d]),
        Array.from({ length: c }, () => Infinity),
      );
      const hw = head.weight.toTypedArray() as Float32Array;
      const hb = head.bias.toTypedArray() as Float32Array;
      // Row k minus row 0 (and bias k minus bias 0) as in the trained head: the same softmax.
      for (let k = 1; k < c; k++) {
        for (let i = 0; i < d; i++) {
          const want = w[k * d + i]! - w[i]!;
          const got = hw[k * d + i]! - hw[i]!;
          assert.ok(Math.abs(got - want) < 1e-3 * (1 + Math.abs(want)), `w[${k}][${i}] − w[0][${i}]: ${got} vs ${want}`);
        }
        assert.ok(Math.abs(hb[k]! - hb[0]! - (b[k]! - b[0]!)) < 1e-2 * (1 + Math.abs(b[k]! - b[0]!)), `b[${k}] − b[0]`);
      }
      // A few-shot class's bias is raised by half the expected overshoot of its squared norm.
      const few = closedFormHead(ref, fromTypedArray(means.slice(0, d), [1, d]), [4]);
      const exact = closedFormHead(ref, fromTypedArray(means.slice(0, d), [1, d]), [Infinity]);
      const lift = (few.bias.item() - exact.bias.item()) / ref.scale;
      assert.ok(Math.abs(lift - ref.noisePerPhoto / 8) < 1e-3 * ref.noisePerPhoto, `lift ${lift} vs ${ref.noisePerPhoto / 8}`);
    } finally {
      ref.dispose();
    }
  });
  assert.equal(liveTensors(), before);
});

test('enroll: the new class answers for its photos, the old classes keep theirs, the sidecar carries it to the next classifier, removal undoes it', async () => {
  const old = Object.values(fx.photos).flat();
  {
    using clf = await classifier(ckpt, { precision: 'float32' });
    const before = await Promise.all(old.map((p) => clf.classify(p, { topK: 1 })));
    const unknownBefore = await Promise.all(newPhotos.slice(5).map((p) => clf.classify(p)));
    const info = await clf.enroll('class_3', newPhotos.slice(0, 5));
    assert.equal(info.name, 'class_3');
    assert.equal(info.photos, 5);
    assert.deepEqual(clf.classes, [...fx.classes, 'class_3']);
    assert.deepEqual(
      clf.enrolledClasses().map((c) => c.name),
      ['class_3'],
    );
    assert.ok(existsSync(enrolledPath(ckpt)), 'saved beside the checkpoint');
    const right = (await Promise.all(newPhotos.slice(5).map((p) => clf.classify(p, { topK: 1 })))).filter((r) => r.predictions[0]!.label === 'class_3');
    assert.ok(right.length >= 4, `${right.length}/5 of the held-out photos of the enrolled class recognised`);
    const after = await Promise.all(old.map((p) => clf.classify(p, { topK: 1 })));
    const kept = after.filter((r, i) => r.predictions[0]!.label === before[i]!.predictions[0]!.label).length;
    assert.ok(kept >= old.length - 1, `old photos keep their answer: ${kept}/${old.length}`);
    // The unknown detector knows the class now: its photos score higher than before.
    const unknownAfter = await Promise.all(newPhotos.slice(5).map((p) => clf.classify(p)));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(
      mean(unknownAfter.map((r) => r.unknown.score)) > mean(unknownBefore.map((r) => r.unknown.score)),
      'knn scores rise once the photos are in the bank',
    );
    const v = await clf.verify(newPhotos[6]!, 'class_3');
    assert.equal(v.claimed.label, 'class_3');
    const cam = await clf.classify(newPhotos[7]!, { attention: true });
    assert.match(cam.attention!.image, /^data:image\/png;base64,/, 'an enrolled class has a class activation map');
  }
  {
    using again = await classifier(ckpt, { precision: 'float32', worker: true, threads: 1 });
    assert.deepEqual(again.classes, [...fx.classes, 'class_3'], 'the sidecar is read by the next classifier (on a worker thread too)');
    assert.equal((await again.classify(newPhotos[8]!, { topK: 1 })).predictions[0]!.label, 'class_3');
    await again.removeClass('class_3');
    assert.deepEqual(again.classes, fx.classes);
    assert.ok(!existsSync(enrolledPath(ckpt)), 'removing the last class removes the sidecar');
    await assert.rejects(
      () => again.removeClass('class_0'),
      (e: EnrollmentError) => e.name === 'EnrollmentError' && e.code === 'trained',
    );
    await assert.rejects(
      () => again.removeClass('nope'),
      (e: EnrollmentError) => e.code === 'not-found',
    );
  }
});

test('bad enrollments are refused with the reason and change nothing', async () => {
  using clf = await classifier(ckpt, { precision: 'float32' });
  await clf.enroll('yellow', newPhotos.slice(0, 3));
  const sidecar = readFileSync(enrolledPath(ckpt));
  const junk = join(dir, 'junk.jpg');
  writeFileSync(junk, 'not an image');
  const cases: [string, () => Promise<unknown>, RegExp | string][] = [
    ['no photos', () => clf.enroll('x', []), /no photos/],
    ['a trained name', () => clf.enroll('class_1', newPhotos.slice(0, 2)), 'exists'],
    ['an enrolled name', () => clf.enroll('yellow', newPhotos.slice(0, 2)), 'exists'],
    ['a 10 kB name', () => clf.enroll('n'.repeat(10_000), newPhotos.slice(0, 2)), /at most 200/],
    ['an empty name', () => clf.enroll('  ', newPhotos.slice(0, 2)), /empty/],
    [
      'too many photos',
      () =>
        clf.enroll(
          'many',
          Array.from({ length: MAX_ENROLL_PHOTOS + 1 }, () => newPhotos[0]!),
        ),
      'too-many',
    ],
    ['a non-image', () => clf.enroll('junk', [newPhotos[0]!, junk]), /photo 2|decode|image/i],
  ];
  for (const [what, f, expected] of cases) {
    await assert.rejects(f, (e: Error & { code?: string }) => (typeof expected === 'string' ? e.code === expected : expected.test(e.message)), what);
    assert.deepEqual(clf.classes, [...fx.classes, 'yellow'], `${what}: classes unchanged`);
    assert.deepEqual(readFileSync(enrolledPath(ckpt)), sidecar, `${what}: sidecar unchanged`);
  }
  await clf.removeClass('yellow');
});

test('a checkpoint without calibration cannot enroll, and says what to run; a sidecar for other checkpoint bytes is refused', async () => {
  {
    using clf = await classifier(uncalibrated, { precision: 'float32' });
    await assert.rejects(
      () => clf.enroll('class_3', newPhotos.slice(0, 2)),
      (e: EnrollmentError) => e.code === 'unsupported' && /finegrain calibrate/.test(e.message),
    );
    assert.ok(!existsSync(enrolledPath(uncalibrated)));
  }
  {
    using clf = await classifier(ckpt, { precision: 'float32' });
    await clf.enroll('class_3', newPhotos.slice(0, 2));
  }
  // The same sidecar, naming other checkpoint bytes (as after a retrain into the same file).
  const { tensors, metadata } = loadSafetensors(enrolledPath(ckpt));
  const info = JSON.parse(metadata!.finegrain_enrolled!) as { checkpoint: { sha256: string } };
  info.checkpoint.sha256 = '0'.repeat(64);
  saveSafetensors(enrolledPath(ckpt), tensors, { finegrain_enrolled: JSON.stringify(info) });
  for (const t of Object.values(tensors)) t.dispose();
  await assert.rejects(() => classifier(ckpt, { precision: 'float32' }), /other checkpoint bytes/);
  rmSync(enrolledPath(ckpt));
});

test('the few-shot correction share: a smaller share gives the class a lower bias, is stored, and is checked', async () => {
  const { servedModelOf } = await import('../../src/pipeline/classifier.js');
  const biasOf = async (correction: number | undefined) => {
    using clf = await classifier(ckpt, { precision: 'float32' });
    await clf.enroll('class_3', newPhotos.slice(0, 3), correction === undefined ? {} : { correction });
    const head = (servedModelOf(clf) as import('../../src/pipeline/libtorch-model.js').LibtorchModel).closedFormHead()!;
    rmSync(enrolledPath(ckpt), { force: true });
    return head.bias[head.bias.length - 1]!;
  };
  const double = await biasOf(2);
  const full = await biasOf(1);
  const half = await biasOf(0.5);
  // The default: 1 when the calibration scaled the trained means (β < 1), 0.5 for one without β.
  const beta = loadCalibration(ckpt)!.info.head?.meanScale ?? 1;
  assert.equal(await biasOf(undefined), defaultCorrection(beta) === 1 ? full : half, `the default share at β = ${beta}`);
  const none = await biasOf(0);
  assert.ok(double > full && full > half && half > none, `biases ${double} > ${full} > ${half} > ${none}`);
  {
    using clf = await classifier(ckpt, { precision: 'float32' });
    await clf.enroll('class_3', newPhotos.slice(0, 3), { correction: 0.5 });
    await assert.rejects(() => clf.enroll('other', newPhotos.slice(0, 3), { correction: 3.5 }), /correction must be a number in \[0, 3\]/);
  }
  {
    using again = await classifier(ckpt, { precision: 'float32' });
    const head = (servedModelOf(again) as import('../../src/pipeline/libtorch-model.js').LibtorchModel).closedFormHead()!;
    assert.ok(Math.abs(head.bias[head.bias.length - 1]! - half) < 1e-4, 'the share survives a reload (the sidecar)');
  }
});
