import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectPseudoLabels } from '../../src/train/pseudo-labels.js';
import { randn } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import { softmax } from '../../src/nn/functional/activation.js';
import { manualSeed, liveTensors } from '../../src/index.js';

test('selectPseudoLabels keeps exactly the rows whose top probability reaches the threshold', () => {
  manualSeed(3);
  const before = liveTensors();
  // Sharp and flat rows mixed: logits scaled per row so confidences spread over (1/K, 1).
  const { probs, rows } = scope(() => {
    const p = softmax(randn([64, 5]).mul(randn([64, 1]).abs().mul(3)), 1);
    return { probs: p.keep(), rows: p.toArray() as number[][] };
  });
  for (const threshold of [0, 0.5, 0.9, 1]) {
    const picked = selectPseudoLabels(probs, threshold);
    const expected = rows.flatMap((r, i) => (Math.max(...r) >= threshold ? [i] : []));
    assert.deepEqual(picked.rows, expected, `rows at ${threshold}`);
    assert.deepEqual(
      picked.labels,
      expected.map((i) => rows[i]!.indexOf(Math.max(...rows[i]!))),
      `labels at ${threshold}`,
    );
    for (const [j, i] of expected.entries()) assert.ok(Math.abs(picked.confidence[j]! - Math.max(...rows[i]!)) < 1e-6);
    assert.ok(picked.confidence.every((c) => c >= threshold));
  }
  const mid = selectPseudoLabels(probs, 0.6);
  assert.ok(mid.rows.length > 0 && mid.rows.length < 64, `the test data has rows on both sides of 0.6 (kept ${mid.rows.length})`);
  assert.throws(() => selectPseudoLabels(probs, 1.5), RangeError);
  assert.throws(() => selectPseudoLabels(probs, NaN), RangeError);
  probs.dispose();
  assert.equal(liveTensors(), before);
});
