// Reductions against PyTorch: sums, means, extrema with indices, top-k, sorting, variance,
// logsumexp, norms; values, dtypes and gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, randint, randperm, manualSeed, scope, tensor, type Tensor } from '../../src/index.js';
import { parityTests, type ParityCase } from '../support/parity.js';

manualSeed(24);

// Distinct values: extrema and their indices are unambiguous (ties may legally resolve either way).
const distinct = (shape: number[]): Tensor =>
  scope(() =>
    randperm(shape.reduce((a, b) => a * b, 1))
      .float()
      .sub(20)
      .div(3)
      .view(shape),
  );

const ops: [string, (x: Tensor) => Tensor | Tensor[], string][] = [
  ['sum all', (x) => x.sum(), 'x.sum()'],
  ['sum dim 1', (x) => x.sum(1), 'x.sum(1)'],
  ['sum dims [0, 2] keepdim', (x) => x.sum([0, 2], { keepdim: true }), 'x.sum((0, 2), keepdim=True)'],
  ['sum all keepdim', (x) => x.sum(null, { keepdim: true }), 'x.sum((0, 1, 2), keepdim=True)'],
  ['sum in float64', (x) => x.sum(-1, { dtype: 'float64' }), 'x.sum(-1, dtype=torch.float64)'],
  ['mean all', (x) => x.mean(), 'x.mean()'],
  ['mean dim -1', (x) => x.mean(-1), 'x.mean(-1)'],
  ['mean dims keepdim', (x) => x.mean([1, 2], { keepdim: true }), 'x.mean((1, 2), keepdim=True)'],
  ['prod', (x) => x.prod(), 'x.prod()'],
  ['prod dim 1 keepdim', (x) => x.prod(1, { keepdim: true }), 'x.prod(1, keepdim=True)'],
  ['max all', (x) => x.max(), 'x.max()'],
  ['min all', (x) => x.min(), 'x.min()'],
  [
    'max dim 1 with indices',
    (x) => {
      const r = x.max(1);
      return [r.values, r.indices];
    },
    'tuple(x.max(1))',
  ],
  [
    'min dim -1 keepdim with indices',
    (x) => {
      const r = x.min(-1, true);
      return [r.values, r.indices];
    },
    'tuple(x.min(-1, keepdim=True))',
  ],
  ['argmax all', (x) => x.argmax(), 'x.argmax()'],
  ['argmax dim 2', (x) => x.argmax(2), 'x.argmax(2)'],
  ['argmin dim 0 keepdim', (x) => x.argmin(0, true), 'x.argmin(0, keepdim=True)'],
  [
    'topk 3 (largest, sorted)',
    (x) => {
      const r = x.topk(3);
      return [r.values, r.indices];
    },
    'tuple(x.topk(3))',
  ],
  [
    'topk 2 smallest along dim 1',
    (x) => {
      const r = x.topk(2, 1, false);
      return [r.values, r.indices];
    },
    'tuple(x.topk(2, 1, largest=False))',
  ],
  [
    'sort',
    (x) => {
      const r = x.sort();
      return [r.values, r.indices];
    },
    'tuple(x.sort())',
  ],
  [
    'sort descending along dim 0',
    (x) => {
      const r = x.sort(0, true);
      return [r.values, r.indices];
    },
    'tuple(x.sort(0, descending=True))',
  ],
  ['std all (unbiased)', (x) => x.std(), 'x.std()'],
  ['std dim 1, population', (x) => x.std(1, { correction: 0 }), 'x.std(1, unbiased=False)'],
  ['var dims keepdim', (x) => x.var([0, 2], { keepdim: true }), 'x.var((0, 2), keepdim=True)'],
  ['var dim -1 unbiased', (x) => x.var(-1), 'x.var(-1)'],
  ['logsumexp dim 1', (x) => x.logsumexp(1), 'x.logsumexp(1)'],
  ['logsumexp dims keepdim', (x) => x.logsumexp([1, 2], true), 'x.logsumexp((1, 2), keepdim=True)'],
  ['norm (L2 of all)', (x) => x.norm(), 'x.norm()'],
  ['norm p=1 dim 2', (x) => x.norm(1, 2), 'x.norm(1, 2)'],
  ['norm p=3 dims keepdim', (x) => x.norm(3, [1, 2], true), 'x.norm(3, (1, 2), keepdim=True)'],
  ['cumsum dim 1', (x) => x.cumsum(1), 'x.cumsum(1)'],
];
const cases: ParityCase[] = ops.map(([name, js, py]) => ({
  name,
  inputs: { x: distinct([3, 4, 5]) },
  grad: ['x'],
  js: (t) => js(t.x!),
  py: `(lambda x: ${py})(t['x'])`,
}));
cases.push(
  {
    name: 'logsumexp of large values stays finite',
    inputs: { x: randn([3, 6]).mul(300) },
    grad: ['x'],
    js: (t) => t.x!.logsumexp(1),
    py: "t['x'].logsumexp(1)",
  },
  {
    name: 'sum of int64 is int64, mean of it needs a dtype',
    inputs: { x: randint(-10, 10, [4, 5]) },
    js: (t) => [t.x!.sum(), t.x!.sum(1), t.x!.mean(1, { dtype: 'float64' })],
    py: "(t['x'].sum(), t['x'].sum(1), t['x'].mean(1, dtype=torch.float64))",
  },
  {
    name: 'sum of bool counts (int64)',
    inputs: { x: randn([4, 5]).gt(0) },
    js: (t) => [t.x!.sum(), t.x!.sum(0)],
    py: "(t['x'].sum(), t['x'].sum(0))",
  },
  {
    name: 'all and any',
    inputs: { x: randn([4, 5]).gt(-1), y: randn([3]).gt(10) },
    js: (t) => [t.x!.all(), t.x!.any(), t.y!.any(), t.y!.logicalNot().all()],
    py: "(t['x'].all(), t['x'].any(), t['y'].any(), t['y'].logical_not().all())",
  },
  {
    name: 'max of an int64 tensor along a dim',
    inputs: { x: randint(-50, 50, [4, 6]) },
    js: (t) => {
      const r = t.x!.max(1);
      return [r.values, r.indices, t.x!.max()];
    },
    py: "(*t['x'].max(1), t['x'].max())",
  },
  {
    name: 'float16 sum and mean',
    inputs: { x: randn([4, 8]).half() },
    js: (t) => [t.x!.sum(1), t.x!.mean()],
    py: "(t['x'].sum(1), t['x'].mean())",
    rtol: 1e-3,
  },
  {
    name: 'mean of an int64 tensor fails as in PyTorch',
    inputs: { x: randint(0, 5, [3]) },
    js: (t) => t.x!.mean(),
    py: "t['x'].mean()",
    error: /mean\(\): could not infer output dtype/,
  },
  {
    name: 'topk with k larger than the dimension fails',
    inputs: { x: randn([3, 4]) },
    js: (t) => t.x!.topk(5).values,
    py: "t['x'].topk(5).values",
    error: /selected index k out of range/,
  },
);

parityTests(cases);

test('reductions: known values', () => {
  scope(() => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(x.sum().item(), 21);
    assert.deepEqual(x.mean(0).toArray(), [2.5, 3.5, 4.5]);
    assert.deepEqual(x.max(1).indices.toArray(), [2, 2]);
    assert.equal(x.argmax().item(), 5);
    assert.deepEqual(x.topk(2).values.toArray(), [
      [3, 2],
      [6, 5],
    ]);
    assert.ok(Math.abs(x.std().item() - Math.sqrt(3.5)) < 1e-6);
    assert.ok(Math.abs(x.var(null, { correction: 0 }).item() - 35 / 12) < 1e-6);
    assert.ok(Math.abs(tensor([0, 0]).logsumexp(0).item() - Math.log(2)) < 1e-7);
  });
});
