// Activations and the softmax family against PyTorch (outputs and input gradients).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, manualSeed, scope, tensor, type Tensor } from '../../../src/index.js';
import { parityTests, type ParityCase } from '../../support/parity.js';

manualSeed(3);

// Wide enough to reach every piece of the piecewise functions (relu6 at 6, hardswish at +-3).
const wide = () => randn([4, 5, 6]).mul(4);

const unary: [string, (x: Tensor) => Tensor, string][] = [
  ['relu', (x) => F.relu(x), "F.relu(t['x'])"],
  ['relu6', (x) => F.relu6(x), "F.relu6(t['x'])"],
  ['gelu exact', (x) => F.gelu(x), "F.gelu(t['x'])"],
  ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' }), "F.gelu(t['x'], approximate='tanh')"],
  ['silu', (x) => F.silu(x), "F.silu(t['x'])"],
  ['sigmoid', (x) => F.sigmoid(x), "torch.sigmoid(t['x'])"],
  ['tanh', (x) => F.tanh(x), "torch.tanh(t['x'])"],
  ['hardswish', (x) => F.hardswish(x), "F.hardswish(t['x'])"],
  ['hardsigmoid', (x) => F.hardsigmoid(x), "F.hardsigmoid(t['x'])"],
  ['leakyRelu default slope', (x) => F.leakyRelu(x), "F.leaky_relu(t['x'])"],
  ['leakyRelu slope 0.2', (x) => F.leakyRelu(x, { negativeSlope: 0.2 }), "F.leaky_relu(t['x'], 0.2)"],
];

const cases: ParityCase[] = unary.map(([name, js, py]) => ({ name, inputs: { x: wide() }, grad: ['x'], js: (t) => js(t.x!), py }));

// In-place forms on a non-leaf (as in a network) must give the same values and gradients.
for (const [name, js, py] of [
  ['relu', (x: Tensor) => F.relu(x, { inplace: true }), 'F.relu'],
  ['relu6', (x: Tensor) => F.relu6(x, { inplace: true }), 'F.relu6'],
  ['silu', (x: Tensor) => F.silu(x, { inplace: true }), 'F.silu'],
  ['hardswish', (x: Tensor) => F.hardswish(x, { inplace: true }), 'F.hardswish'],
  ['hardsigmoid', (x: Tensor) => F.hardsigmoid(x, { inplace: true }), 'F.hardsigmoid'],
  ['leakyRelu', (x: Tensor) => F.leakyRelu(x, { inplace: true, negativeSlope: 0.1 }), '(lambda v: F.leaky_relu(v, 0.1))'],
] as [string, (x: Tensor) => Tensor, string][]) {
  cases.push({ name: `${name} inplace`, inputs: { x: wide() }, grad: ['x'], js: (t) => js(t.x!.mul(1)), py: `${py}(t['x'] * 1)` });
}

for (const dim of [0, 1, -1]) {
  cases.push(
    { name: `softmax dim ${dim}`, inputs: { x: wide() }, grad: ['x'], js: (t) => F.softmax(t.x!, dim), py: `F.softmax(t['x'], ${dim})` },
    { name: `logSoftmax dim ${dim}`, inputs: { x: wide() }, grad: ['x'], js: (t) => F.logSoftmax(t.x!, dim), py: `F.log_softmax(t['x'], ${dim})` },
  );
}
cases.push(
  {
    name: 'softmax of large logits stays finite',
    inputs: { x: randn([3, 10]).mul(200) },
    grad: ['x'],
    js: (t) => F.softmax(t.x!, 1),
    py: "F.softmax(t['x'], 1)",
  },
  {
    name: 'logSoftmax with dtype float64',
    inputs: { x: randn([3, 10]) },
    grad: ['x'],
    js: (t) => F.logSoftmax(t.x!, 1, { dtype: 'float64' }),
    py: "F.log_softmax(t['x'], 1, dtype=torch.float64)",
  },
  {
    name: 'softmax of a bfloat16 input in float32',
    inputs: { x: randn([3, 10]).bfloat16() },
    js: (t) => F.softmax(t.x!, -1, { dtype: 'float32' }),
    py: "F.softmax(t['x'], -1, dtype=torch.float32)",
  },
  {
    name: 'softmax with a dimension out of range fails',
    inputs: { x: randn([3, 10]) },
    js: (t) => F.softmax(t.x!, 2),
    py: "F.softmax(t['x'], 2)",
    error: /Dimension out of range/,
  },
);

parityTests(cases);

test('activations: known values and argument checks', () => {
  scope(() => {
    const x = tensor([-4, -1, 0, 1, 4, 8]);
    assert.deepEqual(F.relu6(x).toArray(), [0, 0, 0, 1, 4, 6]);
    assert.deepEqual(F.hardsigmoid(x).toArray(), [0, 2 / 6, 0.5, 4 / 6, 1, 1].map(Math.fround));
    const y = x.clone();
    assert.equal(F.relu(y, { inplace: true }), y);
    assert.deepEqual(y.toArray(), [0, 0, 0, 1, 4, 8]);
    assert.throws(() => F.gelu(x, { approximate: 'erf' as 'none' }), /approximate must be 'none' or 'tanh'/);
  });
});
