import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, randn, scope, tensor } from '../../src/index.js';
import { liveTensors } from '../../src/index.js';
import { saveSafetensors } from '../../src/io/index.js';
import { calibrationPath, loadCalibration, uncalibrated, UNCALIBRATED_MSP_THRESHOLD, CalibrationError } from '../../src/open-world/calibration.js';
import { fitCalibration } from '../../src/open-world/calibration-fit.js';
import { OOD_SCORES } from '../../src/open-world/ood/score.js';

function fakeData(seed: number) {
  manualSeed(seed);
  const d = 8;
  const c = 3;
  const centres = scope(() => randn([c, d]).mul(3));
  const make = (n: number) => {
    const labels = Array.from({ length: n }, (_, i) => i % c);
    const emb = scope(() =>
      centres
        .indexSelect(0, tensor(labels, { dtype: 'int64' }))
        .add(randn([n, d]))
        .clamp(0),
    );
    return { labels, emb };
  };
  const weight = randn([c, d]);
  const bias = randn([c]);
  return { d, c, centres, make, weight, bias };
}

test('a fitted calibration survives a save/load round trip: thresholds, temperature, verdicts', () => {
  const before = liveTensors();
  const dir = mkdtempSync(join(tmpdir(), 'fg-cal-'));
  const ckpt = join(dir, 'best.safetensors');
  writeFileSync(ckpt, 'checkpoint bytes stand-in');
  const f = fakeData(1);
  const train = f.make(60);
  const val = f.make(30);
  const valLogits = scope(() => val.emb.mm(f.weight.t()).add(f.bias));
  const cal = fitCalibration({
    train: { embeddings: train.emb, labels: train.labels },
    val: { logits: valLogits, embeddings: val.emb, labels: val.labels },
    head: { weight: f.weight, bias: f.bias },
    numClasses: f.c,
    method: 'knn',
    k: 3,
  });
  for (const s of OOD_SCORES) assert.ok(Number.isFinite(cal.info.thresholds[s]), s);
  // 95% of validation passes every threshold
  for (const s of OOD_SCORES) {
    const scores = cal.score(s, valLogits, val.emb);
    assert.ok(scores.filter((v) => v >= cal.info.thresholds[s]!).length >= Math.ceil(0.95 * 30), s);
  }
  const path = cal.save(ckpt);
  assert.equal(path, calibrationPath(ckpt));
  assert.equal(path, join(dir, 'best.calibration.safetensors'));
  const loaded = loadCalibration(ckpt)!;
  assert.ok(loaded);
  assert.equal(loaded.temperature, cal.temperature);
  assert.equal(loaded.method, 'knn');
  assert.deepEqual(loaded.info.thresholds, cal.info.thresholds);
  const probe = f.make(7);
  const probeLogits = scope(() => probe.emb.mm(f.weight.t()).add(f.bias));
  assert.deepEqual(loaded.unknown(probeLogits, probe.emb), cal.unknown(probeLogits, probe.emb));
  for (const s of OOD_SCORES) assert.deepEqual(Array.from(loaded.score(s, probeLogits, probe.emb)), Array.from(cal.score(s, probeLogits, probe.emb)), s);
  const v = loaded.unknown(probeLogits, probe.emb)[0]!;
  assert.equal(v.calibrated, true);
  assert.equal(v.method, 'knn');
  const p = loaded.probabilities(probeLogits);
  assert.ok(Math.abs(scope(() => Number(p.sum(1).toTypedArray()[0])) - 1) < 1e-5);
  assert.deepEqual((loaded.toJSON() as { thresholds: object }).thresholds, cal.info.thresholds);
  assert.throws(() => scope(() => loaded.unknown(probeLogits, probe.emb.narrow(1, 0, 4))), /8-d embeddings/);
  for (const t of [p, probeLogits, probe.emb, train.emb, val.emb, valLogits, f.centres, f.weight, f.bias]) t.dispose();
  cal.dispose();
  loaded.dispose();
  assert.equal(liveTensors(), before);
});

test('a checkpoint without calibration loads null; a changed checkpoint or a broken sidecar fails loudly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-cal-'));
  const ckpt = join(dir, 'a.safetensors');
  writeFileSync(ckpt, 'v1');
  assert.equal(loadCalibration(ckpt), null);
  const f = fakeData(2);
  const train = f.make(30);
  const logits = scope(() => train.emb.mm(f.weight.t()).add(f.bias));
  const cal = fitCalibration({
    train: { embeddings: train.emb, labels: train.labels },
    val: { logits, embeddings: train.emb, labels: train.labels },
    head: { weight: f.weight, bias: f.bias },
    numClasses: f.c,
    k: 2,
  });
  cal.save(ckpt);
  cal.dispose();
  writeFileSync(ckpt, 'v2 retrained');
  assert.throws(
    () => loadCalibration(ckpt),
    (e: Error) => e instanceof CalibrationError && /run finegrain calibrate again/.test(e.message),
  );
  const other = join(dir, 'b.safetensors');
  writeFileSync(other, 'x');
  const t = tensor([1]);
  saveSafetensors(calibrationPath(other), { bank: t }, { finegrain_calibration: '{"format":"nope"}' });
  assert.throws(() => loadCalibration(other), /not a finegrain calibration/);
  writeFileSync(calibrationPath(other), 'garbage');
  assert.throws(() => loadCalibration(other));
  copyFileSync(ckpt, join(dir, 'c.safetensors'));
  for (const x of [t, train.emb, logits, f.centres, f.weight, f.bias]) x.dispose();
});

test('uncalibrated(): MSP at T = 1 with the documented threshold, calibrated false', () => {
  const cal = uncalibrated();
  const logits = tensor([
    [5, 0, 0],
    [0, 0, 0],
  ]);
  const emb = tensor([[1], [1]]);
  const v = cal.unknown(logits, emb);
  assert.equal(v[0]!.isUnknown, false);
  assert.equal(v[1]!.isUnknown, UNCALIBRATED_MSP_THRESHOLD > 1 / 3);
  assert.equal(v[1]!.calibrated, false);
  assert.equal(v[0]!.method, 'msp');
  assert.equal(v[0]!.threshold, UNCALIBRATED_MSP_THRESHOLD);
  assert.equal(cal.temperature, 1);
  logits.dispose();
  emb.dispose();
});
