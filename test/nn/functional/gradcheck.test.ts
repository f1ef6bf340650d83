// Analytical gradients (autograd) against central finite differences in float64, for the
// functions whose backward passes are hand-written in libtorch. Small shapes: every input
// element costs two forward passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, rand, randint, randperm, manualSeed, scope, tensor, type Tensor } from '../../../src/index.js';
import { gradcheck } from '../../support/gradcheck.js';

manualSeed(8);

const f64 = (shape: number[], scale = 1): Tensor => randn(shape, { dtype: 'float64' }).mul(scale);
// Distinct values spaced far beyond eps, so no max/argmax flips under perturbation.
const distinct = (shape: number[]): Tensor =>
  randperm(
    shape.reduce((a, b) => a * b, 1),
    { dtype: 'float64' },
  )
    .div(10)
    .view(shape);

test('gradcheck itself catches a wrong gradient', () => {
  scope(() => {
    // x * detach(x) has derivative 2x, but autograd sees only x.
    assert.throws(() => gradcheck((x) => x.mul(x.detach()), [f64([4])]), /analytical .* vs numerical/);
  });
});

test('gradcheck conv2d (stride, padding, dilation, groups, bias)', () => {
  scope(() => {
    gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), [f64([1, 2, 5, 5]), f64([3, 2, 3, 3]), f64([3])]);
    gradcheck((x, w) => F.conv2d(x, w, null, { dilation: 2, groups: 2, padding: 'same' }), [f64([2, 4, 5, 5]), f64([4, 2, 3, 3])]);
  });
});

test('gradcheck linear', () => {
  scope(() => gradcheck((x, w, b) => F.linear(x, w, b), [f64([3, 4]), f64([5, 4]), f64([5])]));
});

test('gradcheck batchNorm in training mode (batch statistics)', () => {
  scope(() => {
    gradcheck((x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), [f64([3, 2, 3, 3], 2), f64([2]), f64([2])]);
    gradcheck((x) => F.batchNorm(x, null, null, { training: true }), [f64([4, 3])]);
  });
});

test('gradcheck batchNorm in eval mode (running statistics)', () => {
  scope(() => {
    const mean = f64([2]);
    const variance = rand([2], { dtype: 'float64' }).add(0.5);
    gradcheck((x, w, b) => F.batchNorm(x, mean, variance, { weight: w, bias: b }), [f64([2, 2, 3, 3]), f64([2]), f64([2])]);
  });
});

test('gradcheck layerNorm and groupNorm', () => {
  scope(() => {
    gradcheck((x, w, b) => F.layerNorm(x, [3, 4], { weight: w, bias: b }), [f64([2, 3, 4], 2), f64([3, 4]), f64([3, 4])]);
    gradcheck((x, w, b) => F.groupNorm(x, 2, { weight: w, bias: b }), [f64([2, 4, 3, 3], 2), f64([4]), f64([4])]);
  });
});

test('gradcheck softmax and logSoftmax', () => {
  scope(() => {
    gradcheck((x) => F.softmax(x, 1), [f64([3, 5], 2)]);
    gradcheck((x) => F.logSoftmax(x, -1), [f64([2, 3, 4], 2)]);
    gradcheck((x) => F.softmax(x, 0), [f64([4, 3], 2)]);
  });
});

test('gradcheck crossEntropy with label smoothing, weights and soft targets', () => {
  scope(() => {
    const y = randint(0, 5, [6]);
    const w = rand([5], { dtype: 'float64' }).add(0.5);
    gradcheck((x) => F.crossEntropy(x, y, { labelSmoothing: 0.1 }), [f64([6, 5], 2)]);
    gradcheck((x) => F.crossEntropy(x, y, { labelSmoothing: 0.2, weight: w, reduction: 'sum' }), [f64([6, 5], 2)]);
    gradcheck((x, p) => F.crossEntropy(x, F.softmax(p, 1), { labelSmoothing: 0.1 }), [f64([4, 5], 2), f64([4, 5])]);
    gradcheck((x) => F.nllLoss(F.logSoftmax(x, 1), y, { weight: w }), [f64([6, 5])]);
  });
});

test('gradcheck gridSample (input and grid) and affineGrid', () => {
  scope(() => {
    // A grid well inside the input and away from pixel centres keeps bilinear weights smooth.
    const grid = () => rand([1, 3, 3, 2], { dtype: 'float64' }).mul(1.6).sub(0.8);
    for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
      for (const alignCorners of [false, true]) {
        gradcheck((x, g) => F.gridSample(x, g, { paddingMode, alignCorners }), [f64([1, 2, 4, 4]), grid()]);
      }
    }
    gradcheck((x, g) => F.gridSample(x, g, { mode: 'bicubic' }), [f64([1, 1, 4, 4]), grid()]);
    gradcheck((theta) => F.affineGrid(theta, [1, 1, 3, 4]), [f64([1, 2, 3])]);
    const x = f64([1, 2, 5, 5]);
    // Irregular entries: a round theta can put a sample exactly on a pixel centre, where
    // bilinear sampling has a kink (PyTorch's gradcheck fails there too).
    gradcheck(
      (theta) => F.gridSample(x, F.affineGrid(theta, [1, 2, 4, 4])),
      [
        tensor(
          [
            [
              [0.93, 0.11, 0.047],
              [-0.13, 0.82, 0.09],
            ],
          ],
          { dtype: 'float64' },
        ),
      ],
    );
  });
});

test('gradcheck interpolate bilinear (and bicubic)', () => {
  scope(() => {
    gradcheck((x) => F.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }), [f64([1, 2, 3, 3])]);
    gradcheck((x) => F.interpolate(x, { size: [5, 2], mode: 'bilinear', alignCorners: true }), [f64([1, 1, 3, 4])]);
    gradcheck((x) => F.interpolate(x, { size: [2, 3], mode: 'bilinear', antialias: true }), [f64([1, 1, 5, 6])]);
    gradcheck((x) => F.interpolate(x, { size: [5, 5], mode: 'bicubic' }), [f64([1, 1, 3, 3])]);
  });
});

test('gradcheck maxPool2d and avgPool2d', () => {
  scope(() => {
    gradcheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [distinct([1, 2, 6, 6])]);
    gradcheck((x) => F.maxPool2d(x, 2, { dilation: 2, stride: 1 }), [distinct([1, 1, 5, 5])]);
    gradcheck((x) => F.adaptiveMaxPool2d(x, [2, 3]), [distinct([1, 2, 5, 5])]);
    gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [f64([1, 2, 6, 6])]);
    gradcheck((x) => F.adaptiveAvgPool2d(x, [2, 3]), [f64([1, 2, 5, 5])]);
  });
});

test('gradcheck gelu, silu, hardswish and the other activations', () => {
  scope(() => {
    // Keep away from hardswish's and hardsigmoid's kinks at +-3 and relu's at 0 by sampling
    // (-2.9, -0.1) U (0.1, 2.9) U (3.1, 5).
    const x = tensor([-2.5, -1.7, -0.6, -0.2, 0.3, 0.8, 1.9, 2.6, 3.4, 4.5], { dtype: 'float64' });
    gradcheck((v) => F.gelu(v), [x]);
    gradcheck((v) => F.gelu(v, { approximate: 'tanh' }), [x]);
    gradcheck((v) => F.silu(v), [x]);
    gradcheck((v) => F.hardswish(v), [x]);
    gradcheck((v) => F.hardsigmoid(v), [x]);
    gradcheck((v) => F.sigmoid(v), [x]);
    gradcheck((v) => F.tanh(v), [x]);
    gradcheck((v) => F.leakyRelu(v, { negativeSlope: 0.2 }), [x]);
  });
});

test('gradcheck losses and similarities', () => {
  scope(() => {
    gradcheck((x, t) => F.mseLoss(x, t), [f64([3, 4]), f64([3, 4])]);
    const target = rand([3, 4], { dtype: 'float64' });
    const posWeight = rand([4], { dtype: 'float64' }).add(0.5);
    gradcheck((x) => F.binaryCrossEntropyWithLogits(x, target, { posWeight }), [f64([3, 4], 2)]);
    gradcheck((x) => F.normalize(x, { dim: 1 }), [f64([3, 4])]);
    gradcheck((a, b) => F.cosineSimilarity(a, b, { dim: -1 }), [f64([3, 5]), f64([3, 5])]);
    gradcheck(
      (w) =>
        F.embedding(
          tensor(
            [
              [0, 2],
              [2, 3],
            ],
            { dtype: 'int64' },
          ),
          w,
        ),
      [f64([4, 3])],
    );
  });
});
