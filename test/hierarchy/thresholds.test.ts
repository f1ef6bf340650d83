import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerCoverage, coverageCurve, fitLevelThresholds, hierarchicalAnswer, hierarchyFromMapping, wilsonUpper } from '../../src/hierarchy/index.js';
import { four, random, randomRow } from './helpers.js';

// Two groups: A holds classes a1 and a2, B holds b1. A row [s, 0, 1 - s] (s ≥ 0.5) answers
// A, then a1, both with score s; its label decides whether that is right (a1), right at the
// group only (a2) or wrong at both levels (b1).
const ab = () => hierarchyFromMapping(['a1', 'a2', 'b1'], { levels: ['group', 'class'], classes: { a1: ['A'], a2: ['A'], b1: ['B'] } });
const row = (s: number) => [s, 0, 1 - s];

test('the threshold is the lowest score whose set above stays within maxError (observed rate, z = 0)', () => {
  // 20 rows scoring 0.99, 0.97, …, 0.61; wrong (label b1) at positions 5, 12, 13, 14.
  const scores = Array.from({ length: 20 }, (_, i) => 0.99 - 0.02 * i);
  const wrongAt = new Set([5, 12, 13, 14]);
  const labels = scores.map((_, i) => (wrongAt.has(i) ? 2 : 0));
  const fit = fitLevelThresholds(ab(), scores.map(row), labels, { maxError: 0.1, z: 0 });
  // By hand: the top k rows hold 1 error for k = 6..12 (≤ 10 % from k = 10 on), then 2, 3, 4
  // errors for k = 13, 14, 15..20, all above 10 %. The largest passing set is the top 12, so the
  // threshold is the 12th score, 0.77 (the top 5, error-free, would pass too but admit fewer).
  assert.ok(Math.abs(fit.thresholds[0]! - 0.77) < 1e-12, `${fit.thresholds[0]}`);
  assert.deepEqual(fit.levels[0], { level: 'group', threshold: fit.thresholds[0], candidates: 20, confident: 12, wrong: 1 });
  // The class level is fitted on the 12 rows confident at the group level only.
  assert.equal(fit.levels[1]!.candidates, 12);
  assert.ok(Math.abs(fit.thresholds[1]! - 0.77) < 1e-12);
});

test('on random data, each level meets maxError and no lower observed score would', () => {
  const h = four();
  const rand = random(7);
  const rows = Array.from({ length: 300 }, () => randomRow(rand, 4));
  // Labels drawn from the row itself (so the scores are calibrated, and errors happen).
  const labels = rows.map((p) => {
    let u = rand();
    const i = p.findIndex((v) => (u -= v) < 0);
    return i < 0 ? 3 : i;
  });
  for (const maxError of [0.05, 0.15]) {
    const fit = fitLevelThresholds(h, rows, labels, { maxError, z: 0 });
    let candidates = rows.map((_, i) => i);
    for (let l = 0; l < h.depth; l++) {
      // Recomputed here from the answers, independently of the fitting code's bookkeeping.
      const answered = candidates.map((i) => ({ i, a: hierarchicalAnswer(h, rows[i]!, [0, 0, 0]).path[l]! }));
      const truth = (i: number) => h.pathOf(labels[i]!)[l];
      const errorAbove = (t: number) => {
        const set = answered.filter((x) => x.a.score >= t);
        return set.filter((x) => x.a.name !== truth(x.i)).length / set.length;
      };
      const t = fit.thresholds[l]!;
      assert.ok(Number.isFinite(t), `level ${l} found a threshold`);
      assert.ok(errorAbove(t) <= maxError, `level ${l}: ${errorAbove(t)} > ${maxError}`);
      for (const lower of answered.map((x) => x.a.score).filter((s) => s < t))
        assert.ok(errorAbove(lower) > maxError, `level ${l}: ${lower} < ${t} passes too`);
      candidates = answered.filter((x) => x.a.score >= t).map((x) => x.i);
    }
  }
});

test('small samples: the Wilson bound needs 88 error-free images for 3 %, and weighs errors', () => {
  assert.ok(wilsonUpper(0, 88, 1.645) <= 0.03 && wilsonUpper(0, 87, 1.645) > 0.03);
  assert.ok(wilsonUpper(1, 100, 1) <= 0.03 && wilsonUpper(1, 100, 1.645) > 0.03);
  assert.equal(wilsonUpper(3, 10, 0), 0.3);
  // 87 right answers at the default bound: never confident; 88: confident from the lowest score.
  const rows = (n: number) => Array.from({ length: n }, (_, i) => row(0.6 + (0.39 * i) / n));
  assert.deepEqual(fitLevelThresholds(ab(), rows(87), new Array(87).fill(0)).thresholds, [Infinity, Infinity]);
  assert.deepEqual(fitLevelThresholds(ab(), rows(88), new Array(88).fill(0)).thresholds, [0.6, 0.6]);
});

test('a level the data make impossible is never confident (Infinity), and neither is any below it', () => {
  // Right at the group (label a2 under A), always wrong at the class (the answer is a1).
  const rows = Array.from({ length: 200 }, (_, i) => row(0.5 + i / 400));
  const fit = fitLevelThresholds(ab(), rows, new Array(200).fill(1));
  assert.ok(Number.isFinite(fit.thresholds[0]!));
  assert.equal(fit.thresholds[1], Infinity);
  assert.deepEqual(fit.levels[1], { level: 'class', threshold: Infinity, candidates: 200, confident: 0, wrong: 0 });
  assert.equal(hierarchicalAnswer(ab(), [1, 0, 0], fit.thresholds).deepestConfident, 0);
  // All wrong at the top: the top level, hence every level, is never confident.
  const none = fitLevelThresholds(ab(), rows, new Array(200).fill(2));
  assert.deepEqual(none.thresholds, [Infinity, Infinity]);
  assert.throws(() => fitLevelThresholds(ab(), rows, [0]), /200 rows of probabilities but 1 labels/);
  assert.throws(() => fitLevelThresholds(ab(), [row(0.9)], [3]), /label 3 \(row 0\) is not a class index/);
  assert.throws(() => fitLevelThresholds(ab(), [row(0.9)], [0], { maxError: 0 }), /maxError/);
});

test('answerCoverage counts by hand; the curve fits per maxError and measures where told', () => {
  const h = four();
  const rows = [
    [0.02, 0.03, 0.9, 0.05], // label 2: confident to the series, right
    [0.02, 0.03, 0.9, 0.05], // label 3: confident to the series, wrong there
    [0.1, 0.1, 0.45, 0.35], // label 3: confident to the model (0.8), right
    [0.5, 0.3, 0.1, 0.1], // label 0: make 0.5 < 0.6: claims nothing
  ];
  const c = answerCoverage(h, rows, [2, 3, 3, 0], [0.6, 0.7, 0.8]);
  assert.deepEqual(c, { images: 4, confidentShare: [0.75, 0.75, 0.5], claimedShare: 0.75, wrongShare: 1 / 3 });
  const rand = random(3);
  const val = Array.from({ length: 120 }, () => randomRow(rand, 4));
  const valLabels = val.map((p) => p.indexOf(Math.max(...p)));
  const curve = coverageCurve(h, val, valLabels, { maxErrors: [0.01, 0.2], z: 0, measureOn: { probRows: rows, labels: [2, 3, 3, 0] } });
  assert.equal(curve.length, 2);
  for (const p of curve) {
    assert.deepEqual(p.thresholds, fitLevelThresholds(h, val, valLabels, { maxError: p.maxError, z: 0 }).thresholds);
    assert.deepEqual({ ...p, maxError: 0, thresholds: [] }, { ...answerCoverage(h, rows, [2, 3, 3, 0], p.thresholds), maxError: 0, thresholds: [] });
  }
});
