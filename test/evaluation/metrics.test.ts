import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationReport, headTailAccuracy, formatReport } from '../../src/evaluation/metrics.js';
import { scope, tensor } from '../../src/index.js';

test('classification report: top-1, top-5, per class, confused pairs', () => {
  scope(() => {
    const classes = ['a', 'b', 'c', 'd', 'e', 'f'];
    // 4 images; rows are scores over 6 classes
    const scores = tensor([
      [9, 1, 0, 0, 0, 0], // a -> a
      [0, 1, 9, 0, 0, 0], // b -> c (b is 2nd)
      [0, 9, 1, 0, 0, 0], // c -> b
      [9, 8, 7, 6, 5, 0], // f -> a (f last: not in top 5)
    ]);
    const labels = tensor([0, 1, 2, 5], { dtype: 'int64' });
    const r = classificationReport(scores, labels, classes);
    assert.equal(r.top1, 0.25);
    assert.equal(r.top5, 0.75);
    assert.equal(r.perClass[0]!.accuracy, 1);
    assert.equal(r.perClass[1]!.accuracy, 0);
    assert.ok(Number.isNaN(r.perClass[3]!.accuracy));
    assert.equal(r.meanClassAccuracy, 0.25);
    assert.equal(r.confusedPairs.length, 3);
    assert.ok(r.confusedPairs.some((p) => p.actual === 'b' && p.predicted === 'c' && p.count === 1 && p.rate === 1));
    assert.match(formatReport(r), /top-1 25.00%/);
    const ht = headTailAccuracy(r, [100, 50, 10, 5, 3, 1]);
    assert.equal(ht.head, 0.5); // a (1) and b (0)
    assert.throws(() => classificationReport(scores, tensor([0], { dtype: 'int64' }), classes), /labels/);
  });
});
