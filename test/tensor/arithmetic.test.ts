// Broadcasting arithmetic and comparisons against PyTorch: values, result dtypes (type
// promotion with JS numbers as Python scalars) and gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, rand, randint, manualSeed, scope, tensor, type Tensor } from '../../src/index.js';
import { parityTests, type ParityCase } from '../support/parity.js';

manualSeed(23);

const cases: ParityCase[] = [];
// [name, shape of a, shape of b] — every pair broadcasts.
const shapes: [string, number[], number[]][] = [
  ['same shape', [3, 4], [3, 4]],
  ['row vector', [3, 4], [4]],
  ['column against row', [3, 1], [1, 4]],
  ['3-D against 2-D', [2, 3, 4], [3, 1]],
  ['0-d against 2-D', [], [2, 3]],
];
const binary: [string, (a: Tensor, b: Tensor) => Tensor, string][] = [
  ['add', (a, b) => a.add(b), 'a + b'],
  ['add with alpha', (a, b) => a.add(b, 0.5), 'torch.add(a, b, alpha=0.5)'],
  ['sub with alpha', (a, b) => a.sub(b, 2), 'torch.sub(a, b, alpha=2)'],
  ['mul', (a, b) => a.mul(b), 'a * b'],
  ['div', (a, b) => a.div(b), 'a / b'],
  ['pow', (a, b) => a.abs().add(0.5).pow(b), '(a.abs() + 0.5) ** b'],
  ['maximum', (a, b) => a.maximum(b), 'torch.maximum(a, b)'],
  ['minimum', (a, b) => a.minimum(b), 'torch.minimum(a, b)'],
];
for (const [sname, sa, sb] of shapes) {
  for (const [oname, js, py] of binary) {
    cases.push({
      name: `${oname}, ${sname}`,
      inputs: { a: randn(sa), b: randn(sb) },
      grad: ['a', 'b'],
      js: (t) => js(t.a!, t.b!),
      py: `(lambda a, b: ${py})(t['a'], t['b'])`,
    });
  }
  for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
    // Rounded values make equality happen.
    cases.push({
      name: `${op}, ${sname}`,
      inputs: { a: randn(sa).mul(2).round(), b: randn(sb).mul(2).round() },
      js: (t) => t.a![op](t.b!),
      py: `torch.${op}(t['a'], t['b'])`,
    });
  }
}

const unary: [string, (x: Tensor) => Tensor, string][] = [
  ['neg', (x) => x.neg(), 'x.neg()'],
  ['abs', (x) => x.abs(), 'x.abs()'],
  ['sqrt', (x) => x.abs().add(0.1).sqrt(), '(x.abs() + 0.1).sqrt()'],
  ['rsqrt', (x) => x.abs().add(0.1).rsqrt(), '(x.abs() + 0.1).rsqrt()'],
  ['exp', (x) => x.exp(), 'x.exp()'],
  ['log', (x) => x.abs().add(0.1).log(), '(x.abs() + 0.1).log()'],
  ['reciprocal', (x) => x.add(5).reciprocal(), '(x + 5).reciprocal()'],
  ['sign', (x) => x.sign(), 'x.sign()'],
  ['floor', (x) => x.mul(3).floor(), '(x * 3).floor()'],
  ['ceil', (x) => x.mul(3).ceil(), '(x * 3).ceil()'],
  ['round (half to even)', (x) => x.mul(4).round().div(2).round(), '(x * 4).round().div(2).round()'],
  ['square', (x) => x.square(), 'x.square()'],
  ['clamp both', (x) => x.clamp(-0.5, 0.7), 'x.clamp(-0.5, 0.7)'],
  ['clamp min only', (x) => x.clamp(0), 'x.clamp(min=0)'],
  ['clamp max only', (x) => x.clamp(null, 0.2), 'x.clamp(max=0.2)'],
  ['lerp', (x) => x.lerp(x.mul(3).add(1), 0.25), 'torch.lerp(x, x * 3 + 1, 0.25)'],
  ['scalar add, sub, mul, div, pow', (x) => x.add(2).sub(0.5).mul(3).div(4).pow(2), '(((x + 2 - 0.5) * 3) / 4) ** 2'],
  ['floor division', (x) => x.mul(5).div(2, 'floor'), 'torch.div(x * 5, 2, rounding_mode="floor")'],
  ['trunc division', (x) => x.mul(5).div(2, 'trunc'), 'torch.div(x * 5, 2, rounding_mode="trunc")'],
];
for (const [name, js, py] of unary) {
  cases.push({ name, inputs: { x: randn([3, 5]) }, grad: ['x'], js: (t) => js(t.x!), py: `(lambda x: ${py})(t['x'])` });
}

cases.push(
  {
    name: 'in-place ops on a non-leaf (add_, sub_, mul_, div_, clamp_, addcmul_, addcdiv_, lerp_)',
    inputs: { x: randn([3, 4]), a: randn([4]), b: rand([3, 4]).add(1) },
    grad: ['x', 'a', 'b'],
    js: (t) => t.x!.mul(1).add_(t.a!, 2).sub_(0.5).mul_(t.b!).div_(3).clamp_(-1, 1).addcmul_(t.a!, t.b!, 0.5).addcdiv_(t.a!, t.b!, 2).lerp_(t.b!, 0.3),
    py: "(t['x'] * 1).add_(t['a'], alpha=2).sub_(0.5).mul_(t['b']).div_(3).clamp_(-1, 1).addcmul_(t['a'], t['b'], value=0.5).addcdiv_(t['a'], t['b'], value=2).lerp_(t['b'], 0.3)",
  },
  {
    name: 'int64 tensor times an integer number stays int64',
    inputs: { x: randint(-5, 5, [6]) },
    js: (t) => t.x!.mul(3).add(1),
    py: "t['x'] * 3 + 1",
  },
  {
    name: 'int64 tensor times a fractional number becomes float32',
    inputs: { x: randint(-5, 5, [6]) },
    js: (t) => t.x!.mul(0.5),
    py: "t['x'] * 0.5",
  },
  {
    name: 'int64 true division gives float32',
    inputs: { x: randint(-5, 5, [6]), y: randint(1, 4, [6]) },
    js: (t) => t.x!.div(t.y!),
    py: "t['x'] / t['y']",
  },
  {
    name: 'int64 floor division stays int64',
    inputs: { x: randint(-9, 9, [6]), y: randint(1, 4, [6]) },
    js: (t) => t.x!.div(t.y!, 'floor'),
    py: "torch.div(t['x'], t['y'], rounding_mode='floor')",
  },
  {
    name: 'uint8 plus float32 promotes to float32',
    inputs: { x: randint(0, 255, [5], { dtype: 'uint8' }), y: randn([5]) },
    js: (t) => t.x!.add(t.y!),
    py: "t['x'] + t['y']",
  },
  {
    name: 'float16 plus float32 promotes to float32',
    inputs: { x: randn([5]).half(), y: randn([5]) },
    js: (t) => t.x!.add(t.y!),
    py: "t['x'] + t['y']",
  },
  {
    name: 'float32 0-d tensor does not promote a bfloat16 tensor',
    inputs: { x: randn([5]).bfloat16(), y: tensor(1.5) },
    js: (t) => t.x!.mul(t.y!),
    py: "t['x'] * t['y']",
  },
  {
    name: 'comparisons with numbers',
    inputs: { x: randn([4, 5]).round() },
    js: (t) => [t.x!.eq(0), t.x!.ne(1), t.x!.lt(0.5), t.x!.le(-1), t.x!.gt(1), t.x!.ge(0)],
    py: "(t['x'] == 0, t['x'] != 1, t['x'] < 0.5, t['x'] <= -1, t['x'] > 1, t['x'] >= 0)",
  },
  {
    name: 'logical ops, isnan, isfinite',
    inputs: { a: rand([3, 4]).lt(0.5), b: rand([4]).lt(0.5), x: tensor([0, NaN, Infinity, -1]) },
    js: (t) => [t.a!.logicalAnd(t.b!), t.a!.logicalOr(t.b!), t.a!.logicalNot(), t.x!.isnan(), t.x!.isfinite()],
    py: "(torch.logical_and(t['a'], t['b']), torch.logical_or(t['a'], t['b']), torch.logical_not(t['a']), t['x'].isnan(), t['x'].isfinite())",
  },
  {
    name: "broadcast mismatch fails with libtorch's message",
    inputs: { a: randn([2, 3]), b: randn([4]) },
    js: (t) => t.a!.add(t.b!),
    py: "t['a'] + t['b']",
    error: /The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1/,
  },
  {
    name: 'in-place op cannot broadcast its destination',
    inputs: { a: randn([3]), b: randn([2, 3]) },
    js: (t) => t.a!.clone().add_(t.b!),
    py: "t['a'].clone().add_(t['b'])",
    error: /doesn't match the broadcast shape/,
  },
  {
    name: 'in-place op cannot change the dtype of an integer tensor',
    inputs: { a: randint(0, 3, [3]) },
    js: (t) => t.a!.mul_(0.5),
    py: "t['a'].mul_(0.5)",
    error: /result type Float can't be cast to the desired output type Long/,
  },
);

parityTests(cases);

test('equal and allclose', () => {
  scope(() => {
    const a = tensor([1, 2, 3]);
    assert.ok(a.equal(tensor([1, 2, 3])));
    assert.ok(!a.equal(tensor([1, 2, 4])));
    assert.ok(!a.equal(tensor([1, 2])));
    assert.ok(a.allclose(a.add(1e-7)));
    assert.ok(!a.allclose(a.add(1e-3)));
    assert.ok(a.allclose(a.add(1e-3), 1e-2));
    assert.ok(!tensor([NaN]).allclose(tensor([NaN])));
    assert.ok(tensor([NaN]).allclose(tensor([NaN]), 1e-5, 1e-8, true));
  });
});
