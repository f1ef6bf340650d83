import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmaxRows, rankOf, topClasses } from '../../src/evaluation/top-classes.js';
import { Rng } from '../../src/data/random.js';
import { classificationReport } from '../../src/evaluation/metrics.js';
import { topKPredictions } from '../../src/infer/predict-files.js';
import { tensor } from '../../src/tensor/creation.js';

/** The reference: a stable descending sort of the whole row. */
const sorted = (row: Float32Array) => Array.from(row.keys()).sort((a, b) => row[b]! - row[a]!);

test('topClasses and rankOf agree with a stable sort of the whole row, ties included', () => {
  const rng = new Rng(3, 'top-classes');
  for (const n of [1, 2, 7, 33, 200, 4000]) {
    for (let trial = 0; trial < 4; trial++) {
      // Scores from a few levels, so many ties, or continuous.
      const row = new Float32Array(n).map(() => (trial % 2 ? Math.round(rng.uniform(0, 5)) / 5 : rng.uniform(0, 1)));
      const order = sorted(row);
      for (const k of [1, 5, 64, 65, n]) assert.deepEqual(topClasses(row, k), order.slice(0, Math.min(k, n)), `n ${n} k ${k} trial ${trial}`);
      for (let probe = 0; probe < 5; probe++) {
        const c = rng.int(n);
        assert.equal(rankOf(row, c), order.indexOf(c) + 1);
      }
    }
  }
});

test('topClasses clamps k; rankOf refuses a class outside the row', () => {
  const row = new Float32Array([0.2, 0.5, 0.3]);
  assert.deepEqual(topClasses(row, 0), []);
  assert.deepEqual(topClasses(row, 10), [1, 2, 0]);
  assert.throws(() => rankOf(row, 3), /outside/);
  assert.throws(() => rankOf(row, -1), /outside/);
});

test("eval's report and predict's top-k break exact ties as the server does: the lower class index", () => {
  // Rows with exact ties at the top (bf16 logits produce them): libtorch's topk may return
  // either class; every predictor must give the one topClasses gives.
  const rows = [
    [0.1, 0.3, 0.3, 0.3],
    [0.4, 0.1, 0.1, 0.4],
    [0.0, 0.5, 0.0, 0.5],
  ];
  const classes = ['a', 'b', 'c', 'd'];
  const probs = tensor(rows);
  const expected = rows.map((r) => topClasses(Float32Array.from(r), 4));
  assert.deepEqual(
    expected.map((t) => t[0]),
    [1, 0, 1],
  );
  const report = classificationReport(probs, tensor([1, 3, 3], { dtype: 'int64' }), classes);
  // Lower index on ties: b (right), a (label d), b (label d); the last of the tied would give 2/3.
  assert.equal(report.top1, 1 / 3);
  const top = topKPredictions(probs, classes, ['x', 'y', 'z'], ['x', 'y', 'z'], 3);
  assert.deepEqual(
    top.map((p) => p.top.map((t) => t.label)),
    expected.map((t) => t.slice(0, 3).map((c) => classes[c])),
  );
});

test('argmaxRows: the top class of each row, ties to the lower index; a length that does not split into rows is refused', () => {
  assert.deepEqual(argmaxRows(new Float32Array([0.1, 0.7, 0.5, 0.2, 3, 3, -1, -2, -0.5]), 3), [1, 1, 2]);
  assert.deepEqual(argmaxRows([2, 2, 1], 1), [0]);
  const rng = new Rng(7, 'argmax-rows');
  const rows = Array.from({ length: 20 }, () => Array.from({ length: 9 }, () => Math.round(rng.uniform(0, 4))));
  assert.deepEqual(
    argmaxRows(rows.flat(), 20),
    rows.map((r) => topClasses(r, 1)[0]),
  );
  assert.throws(() => argmaxRows([1, 2, 3], 2), /3 scores do not split into 2 rows/);
});
