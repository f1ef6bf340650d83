// Matrix products against PyTorch: matmul's broadcasting rules, mm, bmm, dot, outer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, manualSeed, scope, tensor } from '../../src/index.js';
import { parityTests, type ParityCase } from '../support/parity.js';

manualSeed(25);

const cases: ParityCase[] = [];
const matmuls: [string, number[], number[]][] = [
  ['matrix x matrix', [3, 4], [4, 5]],
  ['vector x vector (dot)', [4], [4]],
  ['matrix x vector', [3, 4], [4]],
  ['vector x matrix', [4], [4, 5]],
  ['batch x matrix', [2, 3, 4], [4, 5]],
  ['matrix x batch', [3, 4], [2, 4, 5]],
  ['broadcast batches', [2, 1, 3, 4], [5, 4, 2]],
  ['batch x vector', [2, 3, 4], [4]],
];
for (const [name, a, b] of matmuls) {
  cases.push({
    name: `matmul ${name}`,
    inputs: { a: randn(a), b: randn(b) },
    grad: ['a', 'b'],
    js: (t) => t.a!.matmul(t.b!),
    py: "torch.matmul(t['a'], t['b'])",
  });
}
cases.push(
  { name: 'mm', inputs: { a: randn([5, 6]), b: randn([6, 2]) }, grad: ['a', 'b'], js: (t) => t.a!.mm(t.b!), py: "t['a'].mm(t['b'])" },
  {
    name: 'mm of a transposed operand',
    inputs: { a: randn([6, 5]), b: randn([6, 2]) },
    grad: ['a', 'b'],
    js: (t) => t.a!.t().mm(t.b!),
    py: "t['a'].t().mm(t['b'])",
  },
  { name: 'bmm', inputs: { a: randn([3, 4, 5]), b: randn([3, 5, 2]) }, grad: ['a', 'b'], js: (t) => t.a!.bmm(t.b!), py: "t['a'].bmm(t['b'])" },
  {
    name: 'bmm of permuted operands',
    inputs: { a: randn([4, 3, 5]), b: randn([3, 2, 5]) },
    grad: ['a', 'b'],
    js: (t) => t.a!.transpose(0, 1).bmm(t.b!.transpose(1, 2)),
    py: "t['a'].transpose(0, 1).bmm(t['b'].transpose(1, 2))",
  },
  { name: 'dot', inputs: { a: randn([7]), b: randn([7]) }, grad: ['a', 'b'], js: (t) => t.a!.dot(t.b!), py: "t['a'].dot(t['b'])" },
  { name: 'outer', inputs: { a: randn([3]), b: randn([4]) }, grad: ['a', 'b'], js: (t) => t.a!.outer(t.b!), py: "t['a'].outer(t['b'])" },
  {
    name: 'matmul in float64',
    inputs: { a: randn([3, 4], { dtype: 'float64' }), b: randn([4, 2], { dtype: 'float64' }) },
    grad: ['a', 'b'],
    js: (t) => t.a!.matmul(t.b!),
    py: "t['a'] @ t['b']",
    rtol: 1e-12,
    atol: 1e-12,
  },
  {
    name: 'matmul of int64 matrices',
    inputs: { a: randn([3, 4]).mul(5).long(), b: randn([4, 2]).mul(5).long() },
    js: (t) => t.a!.matmul(t.b!),
    py: "t['a'] @ t['b']",
  },
  {
    name: 'mm with mismatched inner sizes fails',
    inputs: { a: randn([2, 3]), b: randn([4, 5]) },
    js: (t) => t.a!.mm(t.b!),
    py: "t['a'].mm(t['b'])",
    error: /mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/,
  },
  {
    name: 'bmm of 2-D tensors fails',
    inputs: { a: randn([2, 3]), b: randn([3, 2]) },
    js: (t) => t.a!.bmm(t.b!),
    py: "t['a'].bmm(t['b'])",
    error: /batch1 must be a 3D tensor/,
  },
  {
    name: 'matmul of mixed dtypes fails',
    inputs: { a: randn([2, 3]), b: randn([3, 2], { dtype: 'float64' }) },
    js: (t) => t.a!.matmul(t.b!),
    py: "t['a'] @ t['b']",
    error: /expected (scalar type|.*dtype)|same dtype/,
  },
);

parityTests(cases);

test('matmul: a known product', () => {
  scope(() => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(a.matmul(a).toArray(), [
      [7, 10],
      [15, 22],
    ]);
    assert.equal(
      tensor([1, 2, 3])
        .dot(tensor([4, 5, 6]))
        .item(),
      32,
    );
  });
});
