import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hierarchicalAnswer, hierarchyFromNames, levelScores } from '../../src/hierarchy/index.js';
import { CARS33 } from './cars33-classes.js';
import { four, random, randomRow } from './helpers.js';

test('a parent scores the sum of its children, at every level, on random rows', () => {
  const h = hierarchyFromNames(CARS33, 'make-model-year');
  const rand = random(33);
  for (let r = 0; r < 50; r++) {
    const probs = randomRow(rand, CARS33.length);
    const scores = levelScores(h, probs);
    assert.deepEqual(Array.from(scores[2]!), probs, 'the leaf level is the probabilities');
    for (let l = 0; l + 1 < h.depth; l++) {
      h.nodes[l]!.forEach((node, i) => {
        const children = node.children.reduce((a, c) => a + scores[l + 1]![c]!, 0);
        assert.ok(Math.abs(scores[l]![i]! - children) < 1e-12, `${node.name}: ${scores[l]![i]} against ${children}`);
      });
      assert.ok(Math.abs(scores[l]!.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    }
  }
});

test('the answer goes top-down, and differs from the most probable class when probability is spread', () => {
  const h = four();
  const probs = [0.3, 0.25, 0.25, 0.2];
  // The most probable class is the Audi (0.3), but BMW holds 0.7, and under it X5 holds 0.45.
  assert.equal(probs.indexOf(Math.max(...probs)), 0);
  const a = hierarchicalAnswer(h, probs, [0.6, 0.4, 0.3]);
  assert.deepEqual(
    a.path.map((p) => [p.level, p.name, Math.round(p.score * 100) / 100, p.confident]),
    [
      ['make', 'BMW', 0.7, true],
      ['model', 'BMW X5 SUV', 0.45, true],
      ['series', 'BMW X5 SUV 2007', 0.25, false],
    ],
  );
  assert.equal(a.deepestConfident, 1);
});

test('a level is confident only when every level above is: a low top threshold can not be skipped', () => {
  const h = four();
  const probs = [0.02, 0.03, 0.9, 0.05];
  assert.equal(hierarchicalAnswer(h, probs, [0.5, 0.5, 0.5]).deepestConfident, 2);
  // The series scores 0.9 ≥ 0.5, but the make's threshold is out of reach: nothing is claimed.
  const a = hierarchicalAnswer(h, probs, [Infinity, 0.5, 0.5]);
  assert.deepEqual(
    a.path.map((p) => p.confident),
    [false, false, false],
  );
  assert.equal(a.deepestConfident, -1);
  // A threshold is reached at equality.
  assert.equal(hierarchicalAnswer(h, [0, 0, 0.5, 0.5], [1, 1, 0.5]).deepestConfident, 2);
});

test('rows that are not probabilities, and thresholds that are not one per level, are refused', () => {
  const h = four();
  assert.throws(() => levelScores(h, [0.5, 0.5]), /4 class probabilities expected, got 2/);
  assert.throws(() => levelScores(h, [2.1, -0.3, 0.1, 0.1]), /logits\?/);
  assert.throws(() => levelScores(h, [0.5, 0.5, 0.5, 0.5]), /sum to at most 1/);
  assert.throws(() => levelScores(h, [NaN, 0, 0, 0]), /\[0, 1\]/);
  assert.throws(() => hierarchicalAnswer(h, [1, 0, 0, 0], [0.5, 0.5]), /one threshold per level/);
  assert.throws(() => hierarchicalAnswer(h, [1, 0, 0, 0], [0.5, NaN, 0.5]), /one threshold per level/);
  // Float32 rounding leaves sums a hair over 1: accepted.
  assert.doesNotThrow(() => levelScores(h, Float32Array.from([0.1, 0.2, 0.3, 0.4000001])));
});
