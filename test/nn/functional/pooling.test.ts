// Max, average and adaptive pooling against PyTorch (outputs, indices, input gradients).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, randperm, manualSeed, scope, liveTensors, type Tensor } from '../../../src/index.js';
import { parityTests, type ParityCase } from '../../support/parity.js';

manualSeed(4);

// Distinct values, so the maxima (and their gradients) are unambiguous.
const distinct = (shape: number[]): Tensor =>
  scope(() =>
    randperm(shape.reduce((a, b) => a * b, 1))
      .float()
      .div(7)
      .view(shape),
  );

const maxCombos: [string, number[], F.Size2, F.MaxPool2dOptions, string][] = [
  ['2x2', [2, 3, 8, 8], 2, {}, '2'],
  ['3x3 stride 2 padding 1', [2, 2, 9, 9], 3, { stride: 2, padding: 1 }, '3, stride=2, padding=1'],
  ['ceil mode', [1, 2, 8, 8], 3, { stride: 2, ceilMode: true }, '3, stride=2, ceil_mode=True'],
  ['ceil mode with padding', [1, 2, 7, 10], 3, { stride: 2, padding: 1, ceilMode: true }, '3, stride=2, padding=1, ceil_mode=True'],
  ['dilation 2', [1, 2, 9, 9], 3, { dilation: 2, stride: 1 }, '3, stride=1, dilation=2'],
  ['pair sizes', [2, 1, 9, 8], [3, 2], { stride: [2, 1], padding: [1, 0] }, '(3, 2), stride=(2, 1), padding=(1, 0)'],
  ['unbatched', [3, 6, 6], 2, { stride: 1 }, '2, stride=1'],
];
const cases: ParityCase[] = [];
for (const [name, shape, k, opts, py] of maxCombos) {
  cases.push({
    name: `maxPool2d ${name}`,
    inputs: { x: distinct(shape) },
    grad: ['x'],
    js: (t) => F.maxPool2d(t.x!, k, { ...opts, returnIndices: false }),
    py: `F.max_pool2d(t['x'], ${py})`,
  });
  cases.push({
    name: `maxPool2d ${name} with indices`,
    inputs: { x: distinct(shape) },
    grad: ['x'],
    js: (t) => {
      const r = F.maxPool2d(t.x!, k, { ...opts, returnIndices: true });
      return [r.output, r.indices];
    },
    py: `F.max_pool2d(t['x'], ${py}, return_indices=True)`,
  });
}

const avgCombos: [string, number[], F.Size2, F.AvgPool2dOptions, string][] = [
  ['2x2', [2, 3, 8, 8], 2, {}, '2'],
  ['3x3 stride 2 padding 1 (count pad)', [2, 2, 9, 9], 3, { stride: 2, padding: 1 }, '3, stride=2, padding=1'],
  [
    '3x3 stride 1 padding 1 (exclude pad)',
    [2, 2, 6, 6],
    3,
    { stride: 1, padding: 1, countIncludePad: false },
    '3, stride=1, padding=1, count_include_pad=False',
  ],
  ['ceil mode', [1, 2, 8, 8], 3, { stride: 2, ceilMode: true }, '3, stride=2, ceil_mode=True'],
  [
    'ceil mode, padding, exclude pad',
    [1, 2, 7, 10],
    3,
    { stride: 2, padding: 1, ceilMode: true, countIncludePad: false },
    '3, stride=2, padding=1, ceil_mode=True, count_include_pad=False',
  ],
  ['divisor override', [1, 2, 6, 6], 2, { divisorOverride: 3 }, '2, divisor_override=3'],
  ['pair sizes', [2, 1, 9, 8], [3, 2], { stride: [2, 1], padding: [1, 1] }, '(3, 2), stride=(2, 1), padding=(1, 1)'],
];
for (const [name, shape, k, opts, py] of avgCombos) {
  cases.push({ name: `avgPool2d ${name}`, inputs: { x: randn(shape) }, grad: ['x'], js: (t) => F.avgPool2d(t.x!, k, opts), py: `F.avg_pool2d(t['x'], ${py})` });
}

const adaptive: [number[], F.AdaptiveSize, string][] = [
  [[2, 3, 7, 7], 1, '1'],
  [[2, 3, 7, 9], [3, 4], '(3, 4)'],
  [[1, 2, 10, 6], [4, null], '(4, None)'],
  [[1, 2, 5, 5], 7, '7'],
  [[3, 5, 5], 2, '2'],
];
for (const [shape, size, py] of adaptive) {
  cases.push(
    {
      name: `adaptiveAvgPool2d [${shape}] -> ${py}`,
      inputs: { x: randn(shape) },
      grad: ['x'],
      js: (t) => F.adaptiveAvgPool2d(t.x!, size),
      py: `F.adaptive_avg_pool2d(t['x'], ${py})`,
    },
    {
      name: `adaptiveMaxPool2d [${shape}] -> ${py}`,
      inputs: { x: distinct(shape) },
      grad: ['x'],
      js: (t) => F.adaptiveMaxPool2d(t.x!, size),
      py: `F.adaptive_max_pool2d(t['x'], ${py})`,
    },
    {
      name: `adaptiveMaxPool2d [${shape}] -> ${py} with indices`,
      inputs: { x: distinct(shape) },
      grad: ['x'],
      js: (t) => {
        const r = F.adaptiveMaxPool2d(t.x!, size, { returnIndices: true });
        return [r.output, r.indices];
      },
      py: `F.adaptive_max_pool2d(t['x'], ${py}, return_indices=True)`,
    },
  );
}
cases.push(
  {
    name: 'maxPool2d on a channels-last input',
    inputs: { x: distinct([2, 3, 6, 6]) },
    grad: ['x'],
    js: (t) => F.maxPool2d(t.x!.contiguous('channelsLast'), 3, { stride: 2, padding: 1 }),
    py: "F.max_pool2d(t['x'].contiguous(memory_format=torch.channels_last), 3, stride=2, padding=1)",
  },
  {
    name: 'maxPool2d padding larger than half the kernel fails',
    inputs: { x: randn([1, 1, 6, 6]) },
    js: (t) => F.maxPool2d(t.x!, 2, { padding: 2 }),
    py: "F.max_pool2d(t['x'], 2, padding=2)",
    error: /pad should be at most half of (effective )?kernel size/,
  },
);

// The global mean of squeeze-excite & co. (a sum times 1 / (H·W) for a cheap channels-last backward).
for (const shape of [
  [2, 5, 7, 3],
  [1, 4, 1, 1],
  [3, 6, 6],
]) {
  cases.push({
    name: `globalAvgPool2d [${shape}]`,
    inputs: { x: randn(shape) },
    grad: ['x'],
    js: (t) => F.globalAvgPool2d(t.x!),
    py: "t['x'].mean((-2, -1), keepdim=True)",
  });
}
cases.push({
  name: 'globalAvgPool2d of a channels-last tensor',
  inputs: { x: randn([2, 8, 5, 5]).contiguous('channelsLast') },
  grad: ['x'],
  js: (t) => F.globalAvgPool2d(t.x!),
  py: "t['x'].mean((2, 3), keepdim=True)",
});

parityTests(cases);

test('adaptiveMaxPool2d without indices frees them', () => {
  const x = randn([1, 2, 6, 6]);
  const before = liveTensors();
  const y = F.adaptiveMaxPool2d(x, 2);
  assert.equal(liveTensors(), before + 1);
  y.dispose();
  x.dispose();
});
