import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHierarchicalEvaluation, hierarchicalEvaluation } from '../../src/hierarchy/index.js';
import { four } from './helpers.js';

// Classes: 0 Audi A4 Sedan 2012, 1 BMW X3 SUV 2012, 2 BMW X5 SUV 2007, 3 BMW X5 SUV 2012.
const rows = [
  [0.3, 0.25, 0.25, 0.2], // label 0: class right (Audi 0.3), make wrong (BMW 0.7), model wrong (X5 0.45)
  [0.1, 0.1, 0.5, 0.3], // label 3: make and model right, class X5 2007: wrong series, right model
  [0.6, 0.2, 0.1, 0.1], // label 1: Audi everywhere: wrong make
  [0.05, 0.5, 0.2, 0.25], // label 2: BMW right, X3 (0.5) beats X5 (0.45): wrong model, right make
  [0, 1, 0, 0], // label 1: right everywhere
];
const labels = [0, 3, 1, 2, 1];

test('accuracy per level, mean class accuracy and top-down accuracy, computed by hand', () => {
  const ev = hierarchicalEvaluation(four(), rows, labels);
  assert.equal(ev.images, 5);
  const round = (v: number) => Math.round(v * 1e9) / 1e9;
  assert.deepEqual(
    ev.levels.map((l) => [l.level, round(l.accuracy), round(l.meanClassAccuracy), round(l.topDownAccuracy)]),
    [
      // make: rows 2, 4, 5 right; Audi 0/1, BMW 3/4 → mean 0.375; top-down is the same at the top
      ['make', 0.6, 0.375, 0.6],
      // model: rows 2, 5 right; Audi A4 0/1, X3 1/2, X5 1/2 → mean 1/3; top-down: rows 2, 5
      ['model', 0.4, round(1 / 3), 0.4],
      // series: rows 1, 5 right; classes 1, 1/2, 0, 0 → 0.375; top-down (BMW, X5, X5 2007 for
      // row 1) only row 5: the top-down path gives up row 1's right class
      ['series', 0.4, 0.375, 0.2],
    ],
  );
});

test('wrong predictions are counted by the first level where their path leaves the truth', () => {
  const ev = hierarchicalEvaluation(four(), rows, labels);
  assert.equal(ev.correct, 2);
  assert.deepEqual(
    ev.errors.map((e) => [e.level, e.count, e.share]),
    [
      ['make', 1, 0.2],
      ['model', 1, 0.2],
      ['series', 1, 0.2],
    ],
  );
  const text = formatHierarchicalEvaluation(ev);
  assert.match(text, /wrong model, right make: 1 \(20\.0 %\)/);
  assert.match(text, /wrong series, right model: 1/);
  assert.match(text, /^make: accuracy 60\.0 %/);
  assert.throws(() => hierarchicalEvaluation(four(), rows, [0, 1]), /5 rows of probabilities but 2 labels/);
});
