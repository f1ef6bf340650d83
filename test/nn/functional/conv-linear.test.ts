// conv2d and linear against PyTorch: forward outputs and input/weight/bias gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, manualSeed, scope, liveTensors, type Tensor } from '../../../src/index.js';
import { parityTests, type ParityCase } from '../../support/parity.js';

manualSeed(1);

interface ConvCombo {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  opts: F.Conv2dOptions;
  py: string;
}

const combos: ConvCombo[] = [
  { name: 'plain 3x3', x: [2, 3, 7, 7], w: [4, 3, 3, 3], bias: true, opts: {}, py: '' },
  { name: 'stride 2, padding 1', x: [2, 3, 8, 9], w: [5, 3, 3, 3], bias: true, opts: { stride: 2, padding: 1 }, py: 'stride=2, padding=1' },
  {
    name: 'pair sizes',
    x: [1, 2, 9, 8],
    w: [3, 2, 3, 2],
    bias: false,
    opts: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] },
    py: 'stride=(2, 1), padding=(1, 0), dilation=(1, 2)',
  },
  { name: 'dilation 2', x: [2, 2, 9, 9], w: [3, 2, 3, 3], bias: true, opts: { dilation: 2, padding: 2 }, py: 'dilation=2, padding=2' },
  { name: 'groups 2', x: [2, 4, 6, 6], w: [6, 2, 3, 3], bias: true, opts: { groups: 2, padding: 1 }, py: 'groups=2, padding=1' },
  { name: 'depthwise', x: [2, 4, 6, 6], w: [4, 1, 3, 3], bias: false, opts: { groups: 4, padding: 1, stride: 2 }, py: 'groups=4, padding=1, stride=2' },
  { name: "padding 'same' (even kernel, asymmetric)", x: [1, 3, 6, 7], w: [2, 3, 4, 2], bias: true, opts: { padding: 'same' }, py: "padding='same'" },
  {
    name: "padding 'same' with dilation",
    x: [1, 2, 7, 7],
    w: [2, 2, 3, 3],
    bias: true,
    opts: { padding: 'same', dilation: 2 },
    py: "padding='same', dilation=2",
  },
  { name: "padding 'valid'", x: [2, 3, 6, 6], w: [2, 3, 3, 3], bias: false, opts: { padding: 'valid', stride: 2 }, py: "padding='valid', stride=2" },
  { name: '1x1 pointwise', x: [3, 8, 4, 4], w: [5, 8, 1, 1], bias: true, opts: {}, py: '' },
  { name: 'unbatched input', x: [3, 6, 6], w: [2, 3, 3, 3], bias: true, opts: { padding: 1 }, py: 'padding=1' },
];

const cases: ParityCase[] = combos.map((c) => ({
  name: `conv2d ${c.name}`,
  inputs: c.bias ? { x: randn(c.x), w: randn(c.w), b: randn([c.w[0]!]) } : ({ x: randn(c.x), w: randn(c.w) } as Record<string, Tensor>),
  grad: c.bias ? ['x', 'w', 'b'] : ['x', 'w'],
  js: (t) => F.conv2d(t.x!, t.w!, t.b ?? null, c.opts),
  py: `F.conv2d(t['x'], t['w'], ${c.bias ? "t['b']" : 'None'}${c.py ? ', ' + c.py : ''})`,
}));

cases.push(
  {
    name: "conv2d padding 'same' with stride fails as in PyTorch",
    inputs: { x: randn([1, 2, 5, 5]), w: randn([2, 2, 3, 3]) },
    js: (t) => F.conv2d(t.x!, t.w!, null, { padding: 'same', stride: 2 }),
    py: "F.conv2d(t['x'], t['w'], padding='same', stride=2)",
    error: /padding='same' is not supported for strided convolutions/,
  },
  {
    name: 'conv2d channel mismatch fails',
    inputs: { x: randn([1, 3, 5, 5]), w: randn([2, 2, 3, 3]) },
    js: (t) => F.conv2d(t.x!, t.w!),
    py: "F.conv2d(t['x'], t['w'])",
    error: /expected input\[1, 3, 5, 5\] to have 2 channels/,
  },
  {
    name: 'linear 2-D with bias',
    inputs: { x: randn([5, 7]), w: randn([3, 7]), b: randn([3]) },
    grad: ['x', 'w', 'b'],
    js: (t) => F.linear(t.x!, t.w!, t.b!),
    py: "F.linear(t['x'], t['w'], t['b'])",
  },
  {
    name: 'linear 3-D batch, no bias',
    inputs: { x: randn([2, 4, 6]), w: randn([5, 6]) },
    grad: ['x', 'w'],
    js: (t) => F.linear(t.x!, t.w!),
    py: "F.linear(t['x'], t['w'])",
  },
  {
    name: 'linear 1-D input',
    inputs: { x: randn([6]), w: randn([2, 6]), b: randn([2]) },
    grad: ['x', 'w', 'b'],
    js: (t) => F.linear(t.x!, t.w!, t.b!),
    py: "F.linear(t['x'], t['w'], t['b'])",
  },
);

parityTests(cases);

test('conv2d rejects a malformed size option', () => {
  scope(() => {
    assert.throws(
      () => F.conv2d(randn([1, 1, 4, 4]), randn([1, 1, 3, 3]), null, { stride: [1, 2, 3] as unknown as [number, number] }),
      /stride must be a number or a pair/,
    );
    assert.throws(() => F.conv2d(randn([1, 1, 4, 4]), randn([1, 1, 3, 3]), null, { padding: 'full' as 'same' }), /padding must be a size, 'same' or 'valid'/);
  });
});

test('conv2d and linear free everything but their result', () => {
  const x = randn([1, 2, 5, 5]);
  const w = randn([3, 2, 3, 3]);
  const before = liveTensors();
  const y = F.conv2d(x, w, null, { padding: 'same' });
  const z = F.linear(y.flatten(1), randn([4, 75]));
  assert.equal(liveTensors(), before + 4); // y, the flattened view, the linear weight, z
  for (const t of [x, w, y, z]) t.dispose();
});
