// Losses, embeddings, one-hot codes and vector similarities against PyTorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, rand, randint, manualSeed, scope, tensor, zeros, type Tensor } from '../../../src/index.js';
import { parityTests, type ParityCase } from '../../support/parity.js';

manualSeed(7);

const N = 6;
const C = 5;
const softTargets = (shape: number[]): Tensor => scope(() => F.softmax(randn(shape).mul(2), 1));
// Class indices with some set to the ignored index.
const withIgnored = (ignore: number): Tensor =>
  scope(() => {
    const y = randint(0, C, [N]);
    return y.maskedFill(rand([N]).lt(0.3), ignore);
  });

const cases: ParityCase[] = [];
const ceCombos: [string, F.CrossEntropyOptions, string, boolean][] = [
  ['default', {}, '', false],
  ['sum', { reduction: 'sum' }, "reduction='sum'", false],
  ['none', { reduction: 'none' }, "reduction='none'", false],
  ['label smoothing 0.1', { labelSmoothing: 0.1 }, 'label_smoothing=0.1', false],
  ['label smoothing 0.3, sum', { labelSmoothing: 0.3, reduction: 'sum' }, "label_smoothing=0.3, reduction='sum'", false],
  ['class weights', {}, '', true],
  ['class weights + label smoothing', { labelSmoothing: 0.2 }, 'label_smoothing=0.2', true],
  ['class weights + none', { reduction: 'none' }, "reduction='none'", true],
];
for (const [name, opts, py, weighted] of ceCombos) {
  const inputs: Record<string, Tensor> = { x: randn([N, C]).mul(2), y: randint(0, C, [N]) };
  if (weighted) inputs.w = rand([C]).add(0.2);
  const w = weighted ? "weight=t['w'], " : '';
  cases.push({
    name: `crossEntropy class indices, ${name}`,
    inputs,
    grad: ['x'],
    js: (t) => F.crossEntropy(t.x!, t.y!, { ...opts, weight: t.w }),
    py: `F.cross_entropy(t['x'], t['y'], ${w}${py})`,
  });
  const soft: Record<string, Tensor> = { x: randn([N, C]).mul(2), y: softTargets([N, C]) };
  if (weighted) soft.w = rand([C]).add(0.2);
  cases.push({
    name: `crossEntropy soft targets, ${name}`,
    inputs: soft,
    grad: ['x', 'y'],
    js: (t) => F.crossEntropy(t.x!, t.y!, { ...opts, weight: t.w }),
    py: `F.cross_entropy(t['x'], t['y'], ${w}${py})`,
  });
}
for (const ignore of [-100, 2]) {
  for (const [reduction, smoothing] of [
    ['mean', 0],
    ['mean', 0.1],
    ['sum', 0.1],
    ['none', 0],
  ] as [F.Reduction, number][]) {
    cases.push({
      name: `crossEntropy ignoreIndex ${ignore}, ${reduction}, smoothing ${smoothing}, weighted`,
      inputs: { x: randn([N, C]), y: withIgnored(ignore), w: rand([C]).add(0.2) },
      grad: ['x'],
      js: (t) => F.crossEntropy(t.x!, t.y!, { weight: t.w, ignoreIndex: ignore, reduction, labelSmoothing: smoothing }),
      py: `F.cross_entropy(t['x'], t['y'], weight=t['w'], ignore_index=${ignore}, reduction='${reduction}', label_smoothing=${smoothing})`,
    });
  }
}
cases.push(
  {
    name: 'crossEntropy on [N, C, H, W] (dense prediction)',
    inputs: { x: randn([2, C, 3, 4]), y: randint(0, C, [2, 3, 4]) },
    grad: ['x'],
    js: (t) => F.crossEntropy(t.x!, t.y!, { labelSmoothing: 0.05 }),
    py: "F.cross_entropy(t['x'], t['y'], label_smoothing=0.05)",
  },
  {
    name: 'crossEntropy with a target out of range fails',
    inputs: { x: randn([N, C]), y: randint(C, C + 3, [N]) },
    js: (t) => F.crossEntropy(t.x!, t.y!),
    py: "F.cross_entropy(t['x'], t['y'])",
    error: /out of bounds|out of range/,
  },
);

for (const [name, opts, py, weighted] of [
  ['default', {}, '', false],
  ['weighted sum', { reduction: 'sum' }, "reduction='sum'", true],
  ['weighted mean, ignoreIndex 1', { ignoreIndex: 1 }, 'ignore_index=1', true],
  ['none', { reduction: 'none' }, "reduction='none'", false],
] as [string, F.NllLossOptions, string, boolean][]) {
  const inputs: Record<string, Tensor> = { x: randn([N, C]), y: randint(0, C, [N]) };
  if (weighted) inputs.w = rand([C]).add(0.2);
  cases.push({
    name: `nllLoss ${name}`,
    inputs,
    grad: ['x'],
    js: (t) => F.nllLoss(F.logSoftmax(t.x!, 1), t.y!, { ...opts, weight: t.w }),
    py: `F.nll_loss(F.log_softmax(t['x'], 1), t['y'], ${weighted ? "weight=t['w'], " : ''}${py})`,
  });
}
cases.push({
  name: 'nllLoss on [N, C, L]',
  inputs: { x: randn([3, C, 4]), y: randint(0, C, [3, 4]) },
  grad: ['x'],
  js: (t) => F.nllLoss(t.x!, t.y!),
  py: "F.nll_loss(t['x'], t['y'])",
});

for (const reduction of ['mean', 'sum', 'none'] as F.Reduction[]) {
  cases.push(
    {
      name: `mseLoss ${reduction}`,
      inputs: { x: randn([4, 3]), y: randn([4, 3]) },
      grad: ['x', 'y'],
      js: (t) => F.mseLoss(t.x!, t.y!, { reduction }),
      py: `F.mse_loss(t['x'], t['y'], reduction='${reduction}')`,
    },
    {
      name: `binaryCrossEntropyWithLogits ${reduction}`,
      inputs: { x: randn([4, 3]).mul(3), y: rand([4, 3]) },
      grad: ['x', 'y'],
      js: (t) => F.binaryCrossEntropyWithLogits(t.x!, t.y!, { reduction }),
      py: `F.binary_cross_entropy_with_logits(t['x'], t['y'], reduction='${reduction}')`,
    },
  );
}
cases.push(
  {
    name: 'mseLoss broadcasting target',
    inputs: { x: randn([4, 3]), y: randn([3]) },
    grad: ['x', 'y'],
    js: (t) => F.mseLoss(t.x!, t.y!),
    py: "F.mse_loss(t['x'], t['y'])",
  },
  {
    name: 'binaryCrossEntropyWithLogits with weight and posWeight',
    inputs: { x: randn([5, 4]).mul(3), y: randint(0, 2, [5, 4]).float(), w: rand([5, 4]), pw: rand([4]).mul(3) },
    grad: ['x'], // libtorch differentiates neither weight nor posWeight (nor does PyTorch)
    js: (t) => F.binaryCrossEntropyWithLogits(t.x!, t.y!, { weight: t.w, posWeight: t.pw }),
    py: "F.binary_cross_entropy_with_logits(t['x'], t['y'], weight=t['w'], pos_weight=t['pw'])",
  },
  {
    name: 'binaryCrossEntropyWithLogits with large logits stays finite',
    inputs: { x: randn([8]).mul(100), y: rand([8]) },
    grad: ['x'],
    js: (t) => F.binaryCrossEntropyWithLogits(t.x!, t.y!, { reduction: 'none' }),
    py: "F.binary_cross_entropy_with_logits(t['x'], t['y'], reduction='none')",
  },
  {
    name: 'binaryCrossEntropyWithLogits with a different target size fails',
    inputs: { x: randn([4, 3]), y: rand([4, 1]) },
    js: (t) => F.binaryCrossEntropyWithLogits(t.x!, t.y!),
    py: "F.binary_cross_entropy_with_logits(t['x'], t['y'])",
    error: /Target size \(\[4, 1\]\) must be the same as input size \(\[4, 3\]\)/,
  },
  {
    name: 'oneHot with explicit classes',
    inputs: { y: randint(0, 7, [3, 4]) },
    js: (t) => F.oneHot(t.y!, 7),
    py: "F.one_hot(t['y'], 7)",
  },
  {
    name: 'oneHot inferring the classes',
    inputs: { y: randint(0, 4, [9]) },
    js: (t) => F.oneHot(t.y!),
    py: "F.one_hot(t['y'])",
  },
  {
    name: 'oneHot with a class out of range fails',
    inputs: { y: tensor([0, 5], { dtype: 'int64' }) },
    js: (t) => F.oneHot(t.y!, 3),
    py: "F.one_hot(t['y'], 3)",
    error: /Class values must be smaller than num_classes/,
  },
  {
    name: 'embedding',
    inputs: { i: randint(0, 10, [3, 4]), w: randn([10, 6]) },
    grad: ['w'],
    js: (t) => F.embedding(t.i!, t.w!),
    py: "F.embedding(t['i'], t['w'])",
  },
  {
    name: 'embedding with paddingIdx (no gradient to that row)',
    inputs: {
      i: tensor(
        [
          [0, 2, 0, 5],
          [1, 2, 3, 0],
        ],
        { dtype: 'int64' },
      ),
      w: randn([6, 3]),
    },
    grad: ['w'],
    js: (t) => F.embedding(t.i!, t.w!, { paddingIdx: 0 }),
    py: "F.embedding(t['i'], t['w'], padding_idx=0)",
  },
  {
    name: 'embedding with a negative paddingIdx and scaleGradByFreq',
    inputs: { i: tensor([5, 1, 1, 1, 2, 5], { dtype: 'int64' }), w: randn([6, 3]) },
    grad: ['w'],
    js: (t) => F.embedding(t.i!, t.w!, { paddingIdx: -1, scaleGradByFreq: true }),
    py: "F.embedding(t['i'], t['w'], padding_idx=-1, scale_grad_by_freq=True)",
  },
  {
    name: 'embedding with maxNorm renormalises the used rows in place',
    inputs: { i: tensor([0, 3, 3, 4], { dtype: 'int64' }), w: randn([6, 4]).mul(2) },
    mutated: ['w'],
    js: (t) => F.embedding(t.i!, t.w!, { maxNorm: 1.5 }),
    py: "F.embedding(t['i'], t['w'], max_norm=1.5)",
  },
);
for (const [shape, dim, p] of [
  [[4, 5], 1, 2],
  [[3, 4, 5], -1, 2],
  [[3, 4, 5], 0, 1],
  [[6, 3], 1, 3],
] as [number[], number, number][]) {
  cases.push({
    name: `normalize [${shape}] dim ${dim} p ${p}`,
    inputs: { x: randn(shape) },
    grad: ['x'],
    js: (t) => F.normalize(t.x!, { dim, p }),
    py: `F.normalize(t['x'], p=${p}, dim=${dim})`,
  });
}
cases.push(
  {
    name: 'normalize keeps zero vectors zero',
    inputs: { x: zeros([2, 3]) },
    grad: ['x'],
    js: (t) => F.normalize(t.x!),
    py: "F.normalize(t['x'])",
  },
  {
    name: 'cosineSimilarity dim 1',
    inputs: { a: randn([5, 8]), b: randn([5, 8]) },
    grad: ['a', 'b'],
    js: (t) => F.cosineSimilarity(t.a!, t.b!),
    py: "F.cosine_similarity(t['a'], t['b'])",
  },
  {
    name: 'cosineSimilarity broadcasting, dim -1',
    inputs: { a: randn([4, 1, 6]), b: randn([3, 6]) },
    grad: ['a', 'b'],
    js: (t) => F.cosineSimilarity(t.a!, t.b!, { dim: -1 }),
    py: "F.cosine_similarity(t['a'], t['b'], dim=-1)",
  },
);

parityTests(cases);

test('crossEntropy: known value, soft one-hot targets equal class indices', () => {
  scope(() => {
    const x = tensor([[0, 0, 0]]);
    assert.ok(Math.abs(F.crossEntropy(x, tensor([1], { dtype: 'int64' })).item() - Math.log(3)) < 1e-6);
    const logits = randn([4, 3]);
    const y = randint(0, 3, [4]);
    const hard = F.crossEntropy(logits, y, { labelSmoothing: 0.1 });
    const soft = F.crossEntropy(logits, F.oneHot(y, 3).float(), { labelSmoothing: 0.1 });
    assert.ok(hard.allclose(soft, 1e-5, 1e-6));
    assert.throws(() => F.crossEntropy(logits, y, { labelSmoothing: 1.5 }), /label_smoothing must be between 0.0 and 1.0/);
    assert.throws(() => F.crossEntropy(logits, y, { reduction: 'avg' as 'mean' }), /reduction must be/);
    assert.throws(() => F.embedding(y, randn([3, 2]), { paddingIdx: 3 }), /Padding_idx must be within num_embeddings/);
  });
});
