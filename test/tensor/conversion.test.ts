// dtype conversions against PyTorch, bit for bit: float16/bfloat16 rounding, float to
// integer truncation, to/from bool and uint8; plus clone, detach and to() semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, rand, randint, manualSeed, scope, tensor, type Tensor, type DType } from '../../src/index.js';
import { parityTests, type ParityCase } from '../support/parity.js';

manualSeed(26);

// Values that stress rounding: tiny, huge, halfway cases, negatives, exact zeros.
const tricky = (): Tensor =>
  scope(() => tensor([0, -0, 1, -1, 0.1, 1 / 3, 65504, 70000, 1e-8, 6e-5, 2.5, 3.5, -2.5, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 255.7, -7.9]));
const targets: DType[] = ['float16', 'bfloat16', 'float64', 'int64', 'int32', 'bool'];
const cases: ParityCase[] = [];
for (const dtype of targets) {
  cases.push({
    name: `float32 -> ${dtype}`,
    inputs: { x: randn([4, 6]).mul(100), k: tricky() },
    js: (t) => [t.x!.to({ dtype }), t.k!.to({ dtype })],
    py: `(t['x'].to(torch.${dtype}), t['k'].to(torch.${dtype}))`,
    exact: true,
  });
}
cases.push(
  {
    name: 'float32 in [0, 255] -> uint8 truncates',
    inputs: { x: rand([4, 6]).mul(255.9) },
    js: (t) => t.x!.byte(),
    py: "t['x'].to(torch.uint8)",
  },
  {
    name: 'uint8 -> float32, int64, bool',
    inputs: { x: randint(0, 256, [3, 5], { dtype: 'uint8' }) },
    js: (t) => [t.x!.float(), t.x!.long(), t.x!.bool()],
    py: "(t['x'].float(), t['x'].long(), t['x'].bool())",
    exact: true,
  },
  {
    name: 'int64 -> float32, float16, uint8 (in range), bool',
    inputs: { x: randint(0, 200, [10]), big: tensor([2 ** 24 + 1, -(2 ** 24) - 3, 2049], { dtype: 'int64' }) },
    js: (t) => [t.x!.float(), t.x!.half(), t.x!.byte(), t.x!.bool(), t.big!.float(), t.big!.half()],
    py: "(t['x'].float(), t['x'].half(), t['x'].to(torch.uint8), t['x'].bool(), t['big'].float(), t['big'].half())",
    exact: true,
  },
  {
    name: 'bool -> float32, int64, uint8',
    inputs: { x: randn([3, 4]).gt(0) },
    js: (t) => [t.x!.float(), t.x!.long(), t.x!.byte()],
    py: "(t['x'].float(), t['x'].long(), t['x'].to(torch.uint8))",
    exact: true,
  },
  {
    name: 'float16 <-> bfloat16 <-> float64',
    inputs: { x: randn([20]).mul(30) },
    js: (t) => [t.x!.half().bfloat16(), t.x!.bfloat16().half(), t.x!.half().double(), t.x!.bfloat16().double()],
    py: "(t['x'].half().bfloat16(), t['x'].bfloat16().half(), t['x'].half().double(), t['x'].bfloat16().double())",
    exact: true,
  },
  {
    name: 'gradients flow through dtype conversions',
    inputs: { x: randn([6]) },
    grad: ['x'],
    js: (t) => t.x!.double().mul(3).half().float().mul(t.x!),
    py: "t['x'].double().mul(3).half().float().mul(t['x'])",
    exact: true,
  },
);

parityTests(cases);

test('to() returns the same tensor data when nothing changes, copies when asked', () => {
  scope(() => {
    const x = randn([3]);
    assert.ok(x.to({ dtype: 'float32' }).sharesStorageWith(x));
    assert.ok(x.float().sharesStorageWith(x));
    assert.ok(!x.to({ dtype: 'float32', copy: true }).sharesStorageWith(x));
    assert.ok(!x.double().sharesStorageWith(x));
    assert.ok(!x.clone().sharesStorageWith(x));
    assert.equal(x.half().dtype, 'float16');
    assert.equal(x.bfloat16().dtype, 'bfloat16');
    assert.equal(x.long().dtype, 'int64');
    assert.equal(x.int().dtype, 'int32');
    assert.equal(x.byte().dtype, 'uint8');
    assert.equal(x.bool().dtype, 'bool');
    assert.deepEqual(tensor([1.5, -2.7]).half().toArray(), [1.5, -2.69921875]);
    assert.deepEqual(tensor([1.5, -2.7]).bfloat16().toArray(), [1.5, -2.703125]);
    assert.deepEqual(tensor([0, 2, 0]).bool().toArray(), [false, true, false]);
  });
});

test('detach cuts the graph; clone keeps it', () => {
  scope(() => {
    const x = randn([3], { requiresGrad: true });
    assert.ok(!x.detach().requiresGrad);
    assert.ok(x.detach().sharesStorageWith(x));
    assert.ok(x.clone().requiresGrad);
    x.clone().mul(2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, 2, 2]);
  });
});
