import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { rankSuggestions } from '../../src/active-learning/rank-suggestions.js';
import { margin } from '../../src/active-learning/uncertainty.js';
import { liveTensors, tensor } from '../../src/tensor/index.js';
import { prng } from '../support/prng.js';

// Every tensor the ranking makes is freed before it returns.
let live = 0;
beforeEach(() => (live = liveTensors()));
afterEach(() => assert.equal(liveTensors(), live, 'tensors leaked'));

/** Probabilities over 3 classes with a given margin (row-major). */
function withMargins(margins: number[]): Float32Array {
  return Float32Array.from(margins.flatMap((m) => [(1 + m) / 2 - 0.01, (1 - m) / 2 - 0.01, 0.02]));
}

test('pool factor 1 suggests exactly the most uncertain photos; the rows carry their numbers', () => {
  const rng = prng(3);
  const n = 30;
  const margins = Array.from({ length: n }, () => rng.next() * 0.9);
  const emb = tensor(Array.from({ length: n }, () => Array.from({ length: 8 }, () => rng.next())));
  try {
    const probabilities = withMargins(margins);
    const r = rankSuggestions({ probabilities, numClasses: 3, embeddings: emb }, { count: 5, poolFactor: 1, duplicateSimilarity: 1, outlierFraction: 0 });
    const want = margins
      .map((m, i) => [m, i] as const)
      .sort((a, b) => a[0] - b[0])
      .slice(0, 5)
      .map(([, i]) => i);
    assert.deepEqual(
      r.rows.map((x) => x.row).sort((a, b) => a - b),
      want.sort((a, b) => a - b),
    );
    assert.equal(
      r.rows[0]!.row,
      want.reduce((best, i) => (margins[i]! < margins[best]! ? i : best)),
      'no labelled photos: the most uncertain first',
    );
    assert.equal(r.rows[0]!.distance, Infinity);
    for (const x of r.rows) {
      assert.ok(Math.abs(x.margin - margin(probabilities.subarray(x.row * 3, x.row * 3 + 3))) < 1e-6);
      assert.equal(x.predicted, 0);
      assert.equal(x.runnerUp, 1);
      assert.ok(Math.abs(x.uncertainty - (1 - x.margin)) < 1e-12);
    }
    assert.deepEqual(
      r.rows.map((x) => x.rank),
      [1, 2, 3, 4, 5],
    );
    assert.equal(r.poolSize, 5);
  } finally {
    emb.dispose();
  }
});

test('diversity: with two tight clusters of uncertain photos, the second pick comes from the other cluster', () => {
  // cluster A (rows 0–5) is the most uncertain, cluster B (rows 6–9) a little less
  const margins = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.1, 0.11, 0.12, 0.13];
  const rows = margins.map((_, i) => (i < 6 ? [1, 0.01 * i, 0] : [0, 1, 0.01 * i]));
  const emb = tensor(rows);
  try {
    const p = withMargins(margins);
    const diverse = rankSuggestions(
      { probabilities: p, numClasses: 3, embeddings: emb },
      { count: 2, poolFactor: 5, duplicateSimilarity: 1, outlierFraction: 0 },
    );
    // every photo of B is √2 from row 0 (up to rounding): any of them is right
    assert.equal(diverse.rows[0]!.row, 0);
    assert.ok(diverse.rows[1]!.row >= 6, `second pick ${diverse.rows[1]!.row} is in cluster A`);
    const uncertainOnly = rankSuggestions(
      { probabilities: p, numClasses: 3, embeddings: emb },
      { count: 2, poolFactor: 1, duplicateSimilarity: 1, outlierFraction: 0 },
    );
    assert.deepEqual(uncertainOnly.rows.map((x) => x.row).sort(), [0, 1]);
    // a labelled photo in cluster A: the first pick is from B (the pool holds both clusters)
    const labelled = tensor([[1, 0.025, 0]]);
    const seeded = rankSuggestions(
      { probabilities: p, numClasses: 3, embeddings: emb, labeledEmbeddings: labelled },
      { count: 1, poolFactor: Infinity, duplicateSimilarity: 1, outlierFraction: 0 },
    );
    labelled.dispose();
    assert.ok(seeded.rows[0]!.row >= 6, `first pick ${seeded.rows[0]!.row} is in cluster A`);
    assert.ok(Number.isFinite(seeded.rows[0]!.distance));
  } finally {
    emb.dispose();
  }
});

test('near-duplicates: one suggestion per group, listing the others; near-duplicates of labelled photos left out', () => {
  const margins = [0.3, 0.1, 0.2, 0.05, 0.5];
  // rows 0, 1, 2 are copies of one photo; 3 is a copy of the labelled photo; 4 stands alone
  const emb = tensor([
    [1, 0, 0],
    [1, 0.01, 0],
    [2, 0, 0],
    [0, 0, 1],
    [0, 1, 0],
  ]);
  const labelled = tensor([[0, 0, 3]]);
  try {
    const r = rankSuggestions({ probabilities: withMargins(margins), numClasses: 3, embeddings: emb, labeledEmbeddings: labelled }, { count: 5 });
    assert.deepEqual(
      r.rows.map((x) => [x.row, x.duplicates]),
      [
        [1, [2, 0]],
        [4, []],
      ],
    );
    assert.deepEqual(
      r.nearLabeled.map((x) => x.row),
      [3],
    );
    assert.ok(r.nearLabeled[0]!.similarity > 0.999);
    assert.equal(r.candidates, 2);
    assert.throws(() => rankSuggestions({ probabilities: withMargins(margins), numClasses: 3, embeddings: emb }, { count: 0 }), /positive integer/);
    assert.throws(() => rankSuggestions({ probabilities: new Float32Array(3), numClasses: 3, embeddings: emb }, { count: 1 }), /3 probabilities for 5 photos/);
  } finally {
    emb.dispose();
    labelled.dispose();
  }
});

test('outliers: the sparsest photos are left out before the pool, however uncertain', () => {
  // nine photos around one direction, one far away and the most uncertain of all
  const rng = prng(5);
  const rows = Array.from({ length: 9 }, () => [1, 0.1 * rng.next(), 0.1 * rng.next()]);
  rows.push([0, 0, 1]);
  const margins = [...Array.from({ length: 9 }, (_, i) => 0.2 + 0.05 * i), 0.01];
  const emb = tensor(rows);
  try {
    const p = withMargins(margins);
    const keep = rankSuggestions({ probabilities: p, numClasses: 3, embeddings: emb }, { count: 3, duplicateSimilarity: 1, outlierFraction: 0 });
    assert.equal(keep.rows[0]!.row, 9, 'without outlier removal the far photo is the first pick');
    assert.equal(keep.outliers, 0);
    const robust = rankSuggestions({ probabilities: p, numClasses: 3, embeddings: emb }, { count: 3, duplicateSimilarity: 1, outlierFraction: 0.1 });
    assert.equal(robust.outliers, 1);
    assert.ok(!robust.rows.some((x) => x.row === 9), JSON.stringify(robust.rows.map((x) => x.row)));
    assert.equal(robust.rows[0]!.row, 0, 'the most uncertain typical photo comes first');
    assert.throws(() => rankSuggestions({ probabilities: p, numClasses: 3, embeddings: emb }, { count: 1, outlierFraction: 1 }), /outlierFraction/);
  } finally {
    emb.dispose();
  }
});
