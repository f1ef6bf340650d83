import { test } from 'node:test';
import assert from 'node:assert/strict';
import { euclidean, kCenterGreedy } from '../../src/active-learning/k-center-greedy.js';
import { prng } from '../support/prng.js';

function points(seed: number, n: number, d: number): number[][] {
  const rng = prng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next() * 10));
}

/** The largest distance from a point to its nearest centre (centres: chosen points and extra ones). */
function radius(pts: number[][], chosen: number[], extra: number[][] = []): number {
  let worst = 0;
  for (const p of pts) worst = Math.max(worst, Math.min(...chosen.map((c) => euclidean(p, pts[c]!)), ...extra.map((e) => euclidean(p, e))));
  return worst;
}

function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let first = 0; first <= n - k; first++) for (const rest of subsets(n - first - 1, k - 1)) out.push([first, ...rest.map((r) => r + first + 1)]);
  return out;
}

test('every pick is the point farthest from the centres so far (checked by brute force at each step)', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const pts = points(seed, 12, 3);
    const picks = kCenterGreedy(pts, 5);
    assert.equal(picks[0]!.index, 0, 'no centres yet: the first point');
    assert.equal(picks[0]!.distance, Infinity);
    for (let k = 1; k < picks.length; k++) {
      const centres = picks.slice(0, k).map((p) => p.index);
      const nearest = pts.map((p, i) => (centres.includes(i) ? -1 : Math.min(...centres.map((c) => euclidean(p, pts[c]!)))));
      const far = Math.max(...nearest);
      assert.equal(picks[k]!.index, nearest.indexOf(far), `seed ${seed} pick ${k}`);
      assert.ok(Math.abs(picks[k]!.distance - far) < 1e-9);
    }
  }
});

test('the greedy covering radius is within twice the optimum found by trying every subset', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const pts = points(100 + seed, 9, 2);
    for (const k of [2, 3, 4]) {
      const greedy = radius(
        pts,
        kCenterGreedy(pts, k).map((p) => p.index),
      );
      const best = Math.min(...subsets(pts.length, k).map((s) => radius(pts, s)));
      assert.ok(greedy <= 2 * best + 1e-9, `seed ${seed} k ${k}: greedy ${greedy} > 2 × ${best}`);
      assert.ok(greedy >= best - 1e-9);
    }
  }
});

test('initial distances act as centres chosen before: the same picks as seeding with those points', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const pts = points(200 + seed, 10, 3);
    const labelled = points(300 + seed, 3, 3);
    const initial = pts.map((p) => Math.min(...labelled.map((l) => euclidean(p, l))));
    const picks = kCenterGreedy(pts, 4, { initialDistances: initial });
    // brute force: the pick maximises the distance to the nearest of labelled ∪ earlier picks
    for (let k = 0; k < picks.length; k++) {
      const centres = [...labelled, ...picks.slice(0, k).map((p) => pts[p.index]!)];
      const nearest = pts.map((p, i) => (picks.slice(0, k).some((q) => q.index === i) ? -1 : Math.min(...centres.map((c) => euclidean(p, c)))));
      assert.equal(picks[k]!.index, nearest.indexOf(Math.max(...nearest)), `seed ${seed} pick ${k}`);
    }
  }
});

test('ties go to the lower index; duplicates are never picked twice; a count above the points takes them all', () => {
  const pts = [
    [0, 0],
    [0, 0],
    [1, 0],
    [-1, 0],
  ];
  const picks = kCenterGreedy(pts, 10);
  assert.deepEqual(
    picks.map((p) => p.index),
    [0, 2, 3, 1],
  );
  assert.equal(picks[3]!.distance, 0);
  assert.deepEqual(kCenterGreedy([], 3), []);
  assert.throws(() => kCenterGreedy(pts, 2, { initialDistances: [1] }), /1 initial distances for 4 points/);
});
