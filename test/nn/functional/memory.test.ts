// Every functional op, called outside any scope, leaves exactly its result(s) alive: the
// temporaries of multi-step functions (normalize, mseLoss, adaptive pooling) are freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, rand, randint, ones, zeros, liveTensors, manualSeed, type Tensor } from '../../../src/index.js';

manualSeed(9);

test('functional ops free their temporaries', () => {
  const x = randn([2, 4, 6, 6]);
  const w = randn([4, 4, 3, 3]);
  const b = randn([4]);
  const mean = zeros([4]);
  const variance = ones([4]);
  const logits = randn([3, 5]);
  const labels = randint(0, 5, [3]);
  const theta = randn([2, 2, 3]);
  const grid = rand([2, 3, 3, 2]).mul(2).sub(1);
  const table = randn([10, 3]);
  const w2 = randn([2, 5]);
  const row = randn([5]);
  const probs = rand([3, 5]);
  const flipped = logits.flip([0]);
  const calls: [string, () => Tensor | Tensor[] | { output: Tensor; indices: Tensor }][] = [
    ['conv2d', () => F.conv2d(x, w, b, { padding: 1 })],
    ['conv2d same', () => F.conv2d(x, w, null, { padding: 'same' })],
    ['linear', () => F.linear(logits, w2)],
    ['batchNorm training', () => F.batchNorm(x, mean, variance, { weight: b, bias: b, training: true })],
    ['layerNorm', () => F.layerNorm(x, [6, 6])],
    ['groupNorm', () => F.groupNorm(x, 2)],
    ['gelu', () => F.gelu(x, { approximate: 'tanh' })],
    ['softmax', () => F.softmax(logits, 1)],
    ['logSoftmax', () => F.logSoftmax(logits, 1)],
    ['maxPool2d', () => F.maxPool2d(x, 2)],
    ['maxPool2d with indices', () => F.maxPool2d(x, 2, { returnIndices: true })],
    ['avgPool2d', () => F.avgPool2d(x, 3, { padding: 1, stride: 2 })],
    ['adaptiveAvgPool2d', () => F.adaptiveAvgPool2d(x, [2, null])],
    ['adaptiveMaxPool2d', () => F.adaptiveMaxPool2d(x, 2)],
    ['adaptiveMaxPool2d with indices', () => F.adaptiveMaxPool2d(x, 2, { returnIndices: true })],
    ['dropout', () => F.dropout(x, { p: 0.3 })],
    ['dropout2d', () => F.dropout2d(x, { p: 0.3 })],
    ['interpolate area by scale', () => F.interpolate(x, { scaleFactor: 0.5, mode: 'area' })],
    ['interpolate bilinear', () => F.interpolate(x, { size: 9, mode: 'bilinear' })],
    ['pad reflect', () => F.pad(x, [1, 1, 1, 1], { mode: 'reflect' })],
    ['affineGrid', () => F.affineGrid(theta, [2, 4, 3, 3])],
    ['gridSample', () => F.gridSample(x, grid)],
    ['crossEntropy', () => F.crossEntropy(logits, labels, { labelSmoothing: 0.1 })],
    ['nllLoss', () => F.nllLoss(logits, labels)],
    ['mseLoss broadcasting', () => F.mseLoss(logits, row)],
    ['binaryCrossEntropyWithLogits', () => F.binaryCrossEntropyWithLogits(logits, probs)],
    ['oneHot', () => F.oneHot(labels, 5)],
    ['embedding with maxNorm', () => F.embedding(labels, table, { maxNorm: 1 })],
    ['normalize', () => F.normalize(logits)],
    ['cosineSimilarity', () => F.cosineSimilarity(logits, flipped)],
  ];
  for (const [name, call] of calls) {
    const before = liveTensors();
    const r = call();
    const results = r instanceof Array ? r : 'output' in r ? [r.output, r.indices] : [r];
    assert.equal(liveTensors() - before, results.length, `${name}: tensors alive beyond its ${results.length} result(s)`);
    for (const t of results) t.dispose();
    assert.equal(liveTensors(), before, `${name}: leaked`);
  }
});
