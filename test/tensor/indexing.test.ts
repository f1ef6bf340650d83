// Indexing and joining against PyTorch: slices, selections, gathers and scatters, masks,
// advanced indexing, concatenation and splitting; values and gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, randint, rand, manualSeed, scope, tensor, cat, stack, where, zeros, type Tensor } from '../../src/index.js';
import { parityTests, type ParityCase } from '../support/parity.js';

manualSeed(22);

const long = (data: number[] | number[][]) => tensor(data, { dtype: 'int64' });
const cases: ParityCase[] = [];
const single: [string, number[], (x: Tensor) => Tensor | Tensor[], string][] = [
  ['slice dim 1 from 1 to 3', [4, 5], (x) => x.slice(1, 1, 3), 'x[:, 1:3]'],
  ['slice with step 2', [6, 5], (x) => x.slice(0, 0, null, 2), 'x[0::2]'],
  ['slice with negative bounds', [4, 6], (x) => x.slice(1, -4, -1), 'x[:, -4:-1]'],
  ['slice past the end clamps', [4, 5], (x) => x.slice(1, 2, 100), 'x[:, 2:100]'],
  ['slice defaults to everything', [4, 5], (x) => x.slice(0), 'x[:]'],
  ['narrow', [4, 6], (x) => x.narrow(1, 2, 3), 'x.narrow(1, 2, 3)'],
  ['select', [3, 4, 5], (x) => x.select(1, 2), 'x[:, 2]'],
  ['select negative index', [3, 4, 5], (x) => x.select(2, -1), 'x[:, :, -1]'],
  ['split into equal sizes', [7, 3], (x) => x.split(3), 'x.split(3)'],
  ['split with sizes along dim 1', [2, 9], (x) => x.split([2, 3, 4], 1), 'x.split([2, 3, 4], 1)'],
  ['chunk', [7, 4], (x) => x.chunk(3), 'x.chunk(3)'],
  ['chunk along dim 1', [2, 6], (x) => x.chunk(2, 1), 'x.chunk(2, 1)'],
  ['nonzero', [4, 5], (x) => x.gt(0.3).nonzero(), '(x > 0.3).nonzero()'],
];
for (const [name, shape, js, py] of single) {
  const multi = name.startsWith('split') || name.startsWith('chunk');
  cases.push({
    name,
    inputs: { x: randn(shape) },
    // The first piece is differentiated; the others are compared by value.
    grad: name === 'nonzero' ? [] : ['x'],
    js: (t) => js(t.x!),
    py: multi ? `tuple((lambda x: ${py})(t['x']))` : `(lambda x: ${py})(t['x'])`,
  });
}
cases.push(
  {
    name: 'indexSelect',
    inputs: { x: randn([5, 4]), i: long([4, 0, 0, 2]) },
    grad: ['x'],
    js: (t) => t.x!.indexSelect(0, t.i!),
    py: "t['x'].index_select(0, t['i'])",
  },
  {
    name: 'indexSelect along dim 1',
    inputs: { x: randn([3, 6]), i: long([5, 1]) },
    grad: ['x'],
    js: (t) => t.x!.indexSelect(1, t.i!),
    py: "t['x'].index_select(1, t['i'])",
  },
  {
    name: 'gather along dim 1 (per-row picks)',
    inputs: { x: randn([4, 5]), i: randint(0, 5, [4, 3]) },
    grad: ['x'],
    js: (t) => t.x!.gather(1, t.i!),
    py: "t['x'].gather(1, t['i'])",
  },
  {
    name: 'gather along dim 0',
    inputs: { x: randn([4, 5]), i: randint(0, 4, [2, 5]) },
    grad: ['x'],
    js: (t) => t.x!.gather(0, t.i!),
    py: "t['x'].gather(0, t['i'])",
  },
  {
    name: 'scatter of a tensor (distinct targets)',
    inputs: {
      x: randn([3, 5]),
      i: long([
        [0, 4],
        [2, 1],
        [3, 3],
      ]).narrow(1, 0, 1),
      s: randn([3, 1]),
    },
    grad: ['x', 's'],
    js: (t) => t.x!.scatter(1, t.i!, t.s!),
    py: "t['x'].scatter(1, t['i'], t['s'])",
  },
  {
    name: 'scatter of a value (one-hot style)',
    inputs: { x: zeros([4, 6]), i: randint(0, 6, [4, 1]) },
    grad: ['x'],
    js: (t) => t.x!.scatter(1, t.i!, 1),
    py: "t['x'].scatter(1, t['i'], 1.0)",
  },
  {
    name: 'maskedFill with a number',
    inputs: { x: randn([4, 5]), m: rand([4, 5]).lt(0.4) },
    grad: ['x'],
    js: (t) => t.x!.maskedFill(t.m!, -1e4),
    py: "t['x'].masked_fill(t['m'], -1e4)",
  },
  {
    name: 'maskedFill with a broadcast mask and a 0-d tensor value',
    inputs: { x: randn([4, 5]), m: rand([1, 5]).lt(0.5), v: tensor(2.5) },
    grad: ['x', 'v'],
    js: (t) => t.x!.maskedFill(t.m!, t.v!),
    py: "t['x'].masked_fill(t['m'], t['v'])",
  },
  {
    name: 'maskedFill_ in place on a non-leaf',
    inputs: { x: randn([3, 4]), m: rand([3, 4]).lt(0.5) },
    grad: ['x'],
    js: (t) => t.x!.mul(2).maskedFill_(t.m!, 0),
    py: "(t['x'] * 2).masked_fill_(t['m'], 0)",
  },
  {
    name: 'index with one index tensor',
    inputs: { x: randn([5, 3]), i: long([3, 3, 0]) },
    grad: ['x'],
    js: (t) => t.x!.index([t.i!]),
    py: "t['x'][t['i']]",
  },
  {
    name: 'index skipping a dimension (x[:, i])',
    inputs: {
      x: randn([2, 5, 3]),
      i: long([
        [4, 0],
        [1, 1],
      ]),
    },
    grad: ['x'],
    js: (t) => t.x!.index([null, t.i!]),
    py: "t['x'][:, t['i']]",
  },
  {
    name: 'index with two tensors (pairs)',
    inputs: { x: randn([4, 5]), i: long([0, 3, 3]), j: long([4, 1, 2]) },
    grad: ['x'],
    js: (t) => t.x!.index([t.i!, t.j!]),
    py: "t['x'][t['i'], t['j']]",
  },
  {
    name: 'index with a boolean mask',
    inputs: { x: randn([4, 5]), m: rand([4, 5]).lt(0.5) },
    grad: ['x'],
    js: (t) => t.x!.index([t.m!]),
    py: "t['x'][t['m']]",
  },
  {
    name: 'indexPut_ with accumulate',
    inputs: { x: randn([5, 3]), i: long([1, 1, 4]), v: randn([3, 3]) },
    grad: ['x', 'v'],
    js: (t) => t.x!.mul(1).indexPut_([t.i!], t.v!, true),
    py: "(t['x'] * 1).index_put_((t['i'],), t['v'], accumulate=True)",
  },
  {
    name: 'cat along dim 0',
    inputs: { a: randn([2, 3]), b: randn([4, 3]), c: randn([1, 3]) },
    grad: ['a', 'b', 'c'],
    js: (t) => cat([t.a!, t.b!, t.c!]),
    py: "torch.cat([t['a'], t['b'], t['c']])",
  },
  {
    name: 'cat along dim -1',
    inputs: { a: randn([2, 3, 2]), b: randn([2, 3, 5]) },
    grad: ['a', 'b'],
    js: (t) => cat([t.a!, t.b!], -1),
    py: "torch.cat([t['a'], t['b']], -1)",
  },
  {
    name: 'stack along dim 1',
    inputs: { a: randn([2, 3]), b: randn([2, 3]), c: randn([2, 3]) },
    grad: ['a', 'b', 'c'],
    js: (t) => stack([t.a!, t.b!, t.c!], 1),
    py: "torch.stack([t['a'], t['b'], t['c']], 1)",
  },
  {
    name: 'where with two tensors, broadcasting',
    inputs: { m: rand([3, 1]).lt(0.5), a: randn([3, 4]), b: randn([4]) },
    grad: ['a', 'b'],
    js: (t) => where(t.m!, t.a!, t.b!),
    py: "torch.where(t['m'], t['a'], t['b'])",
  },
  {
    name: 'where with a scalar other',
    inputs: { a: randn([3, 4]) },
    grad: ['a'],
    js: (t) => where(t.a!.gt(0), t.a!, 0),
    py: "torch.where(t['a'] > 0, t['a'], torch.tensor(0.0))",
  },
  {
    name: 'where with a scalar self',
    inputs: { b: randn([3, 4]) },
    grad: ['b'],
    js: (t) => where(t.b!.gt(0), -1, t.b!),
    py: "torch.where(t['b'] > 0, torch.tensor(-1.0), t['b'])",
  },
  {
    name: 'where with two scalars',
    inputs: { a: randn([3, 4]) },
    js: (t) => where(t.a!.gt(0), 1, 0),
    py: "torch.where(t['a'] > 0, 1, 0)",
  },
  {
    name: 'gather with an index out of range fails',
    inputs: { x: randn([2, 3]), i: long([[0, 3]]) },
    js: (t) => t.x!.gather(1, t.i!),
    py: "t['x'].gather(1, t['i'])",
    error: /index 3 is out of bounds for dimension 1 with size 3/,
  },
  {
    name: 'indexSelect with an index out of range fails',
    inputs: { x: randn([2, 3]), i: long([5]) },
    js: (t) => t.x!.indexSelect(0, t.i!),
    py: "t['x'].index_select(0, t['i'])",
    error: /out of range/,
  },
  {
    name: 'cat of mismatched shapes fails',
    inputs: { a: randn([2, 3]), b: randn([2, 4]) },
    js: (t) => cat([t.a!, t.b!]),
    py: "torch.cat([t['a'], t['b']])",
    error: /Sizes of tensors must match except in dimension 0/,
  },
);

parityTests(cases);

test('slices and selects are views; index, gather and cat copy', () => {
  scope(() => {
    const x = randn([4, 5]);
    assert.ok(x.slice(1, 1, 3).sharesStorageWith(x));
    assert.ok(x.select(0, 2).sharesStorageWith(x));
    assert.ok(x.split(2).every((p) => p.sharesStorageWith(x)));
    assert.ok(!x.index([long([0, 1])]).sharesStorageWith(x));
    assert.ok(!cat([x, x]).sharesStorageWith(x));
    assert.deepEqual(
      x.chunk(3).map((c) => c.shape),
      [
        [2, 5],
        [2, 5],
      ],
    );
  });
});
