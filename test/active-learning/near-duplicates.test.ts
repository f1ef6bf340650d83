import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collapseNearDuplicates } from '../../src/active-learning/near-duplicates.js';
import { maxSimilarity, neighbourDensity, similarNeighbours } from '../../src/active-learning/similarity.js';
import { l2Normalize } from '../../src/open-world/ood/knn.js';
import { tensor, zeros } from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { prng } from '../support/prng.js';

function unitRows(rows: number[][]): { t: Tensor; rows: number[][] } {
  const raw = tensor(rows);
  const t = l2Normalize(raw);
  raw.dispose();
  return { t, rows: rows.map((r) => r.map((v) => v / Math.hypot(...r))) };
}
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

test('similarities by libtorch blocks agree with dot products worked in JS', () => {
  const rng = prng(7);
  const a = unitRows(Array.from({ length: 40 }, () => Array.from({ length: 6 }, () => rng.next() - 0.3)));
  const b = unitRows(Array.from({ length: 9 }, () => Array.from({ length: 6 }, () => rng.next() - 0.3)));
  try {
    const best = maxSimilarity(a.t, b.t);
    a.rows.forEach((r, i) => assert.ok(Math.abs(best[i]! - Math.max(...b.rows.map((q) => dot(r, q)))) < 1e-5, `row ${i}`));
    const threshold = 0.8;
    const neighbours = similarNeighbours(a.t, threshold);
    a.rows.forEach((r, i) => {
      // pairs right at the threshold could round either way in float32: skip them
      const want = a.rows.flatMap((q, j) => (j !== i && dot(r, q) >= threshold + 1e-5 ? [j] : []));
      const borderline = a.rows.flatMap((q, j) => (Math.abs(dot(r, q) - threshold) <= 1e-5 ? [j] : []));
      assert.deepEqual(
        neighbours[i]!.filter((j) => !borderline.includes(j)),
        want,
        `row ${i}`,
      );
    });
    // density: the mean of each row's 3 largest similarities to the other rows
    const density = neighbourDensity(a.t, 3);
    a.rows.forEach((r, i) => {
      const sims = a.rows
        .flatMap((q, j) => (j === i ? [] : [dot(r, q)]))
        .sort((x, y) => y - x)
        .slice(0, 3);
      assert.ok(Math.abs(density[i]! - sims.reduce((s, v) => s + v, 0) / 3) < 1e-5, `density of row ${i}`);
    });
    const none = zeros([0, 6]);
    assert.deepEqual(Array.from(maxSimilarity(a.t, none)), new Array(40).fill(-Infinity));
    none.dispose();
  } finally {
    a.t.dispose();
    b.t.dispose();
  }
});

test('near-duplicates collapse to the highest-priority photo, which lists the others; distinct photos stay apart', () => {
  // 0 and 3 are the same direction (a copy), 1 is close to 0 (cos 0.995), 2 and 4 are elsewhere
  const { t } = unitRows([
    [1, 0, 0],
    [1, 0.1, 0],
    [0, 1, 0],
    [2, 0, 0],
    [0, 0, 1],
  ]);
  try {
    // priority: 3 first (most uncertain), then 2, 0, 1, 4
    const groups = collapseNearDuplicates(t, [3, 2, 0, 1, 4], 0.95);
    assert.deepEqual(groups, [
      { representative: 3, duplicates: [0, 1] },
      { representative: 2, duplicates: [] },
      { representative: 4, duplicates: [] },
    ]);
    // a threshold above 0.995 keeps 1 apart; the exact copy still joins
    assert.deepEqual(
      collapseNearDuplicates(t, [0, 1, 2, 3, 4], 0.999).map((g) => [g.representative, ...g.duplicates]),
      [[0, 3], [1], [2], [4]],
    );
    // rows left out of the order are neither grouped nor representatives
    assert.deepEqual(collapseNearDuplicates(t, [1, 2], 0.95), [
      { representative: 1, duplicates: [] },
      { representative: 2, duplicates: [] },
    ]);
  } finally {
    t.dispose();
  }
});

test('grouping is by leaders: a chain of look-alikes is not merged end to end', () => {
  // a ~ b and b ~ c at cos 0.97, but a, c at cos ≈ 0.88
  const ang = Math.acos(0.97);
  const { t } = unitRows([
    [1, 0],
    [Math.cos(ang), Math.sin(ang)],
    [Math.cos(2 * ang), Math.sin(2 * ang)],
  ]);
  try {
    const groups = collapseNearDuplicates(t, [0, 1, 2], 0.95);
    assert.deepEqual(groups, [
      { representative: 0, duplicates: [1] },
      { representative: 2, duplicates: [] },
    ]);
  } finally {
    t.dispose();
  }
});
