import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankOf, topClasses } from '../../src/pipeline/top-classes.js';
import { Rng } from '../../src/data/random.js';

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
