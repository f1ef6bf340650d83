/**
 * NASNet-A Large with timm's names and architecture (timm has no Python package here): the
 * reference below follows timm/models/nasnet.py cell by cell, including timm's 'SAME'
 * padding (run-time padded stride-2 convolutions and pools; the average pool's padded zeros
 * counted), and is loaded strictly with the finegrain model's weights. Outputs are compared
 * on a narrow instance (timm's constructor arguments stem_size=32, num_features=384: the same
 * cells and wiring, 1/10 of the width) at 64x64 — odd and even grids, so the asymmetric
 * padding is exercised; the full model's parameter count is checked against timm's 88.75M.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { NASNetALarge } from '../../src/models/nasnet/nasnet.js';
import { samePadding } from '../../src/models/nasnet/same-padding.js';
import { oracleSkip } from '../support/oracle.js';
import { checkHeadReset } from './head-reset.js';
import { assertInputDependent, assertParity } from './calibrated-export.js';
import { calibrateBatchNorm, timmReference } from './timm-oracle.js';

const TIMM_NASNET = `
  import math
  import torch.nn as nn

  def pad_same(x, k, s, value=0.0):  # TensorFlow 'SAME', odd pixel bottom/right
      ih, iw = x.shape[-2:]
      total = lambda i: max((math.ceil(i / s) - 1) * s + (k - 1) + 1 - i, 0)
      ph, pw = total(ih), total(iw)
      return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), value=value)

  class Conv2dSame(nn.Conv2d):
      def forward(self, x):
          return F.conv2d(pad_same(x, self.kernel_size[0], self.stride[0]), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

  def create_conv2d(cin, cout, k, stride=1, groups=1, same=True):  # timm: bias=False
      if not same or (stride == 1 and (k - 1) % 2 == 0):
          return nn.Conv2d(cin, cout, k, stride, (k - 1) // 2 if same else 0, groups=groups, bias=False)
      return Conv2dSame(cin, cout, k, stride, 0, groups=groups, bias=False)

  class MaxPool2dSame(nn.Module):
      def __init__(self, k, s):
          super().__init__(); self.k, self.s = k, s
      def forward(self, x):
          return F.max_pool2d(pad_same(x, self.k, self.s, -float('inf')), self.k, self.s)

  class AvgPool2dSame(nn.Module):
      def __init__(self, k, s):
          super().__init__(); self.k, self.s = k, s
      def forward(self, x):  # the explicit zero padding counts, whatever count_include_pad says
          return F.avg_pool2d(pad_same(x, self.k, self.s), self.k, self.s, 0, False, False)

  def create_pool2d(kind, k, s):
      if s == 1:
          return nn.MaxPool2d(k, 1, (k - 1) // 2) if kind == 'max' else nn.AvgPool2d(k, 1, (k - 1) // 2, count_include_pad=False)
      return MaxPool2dSame(k, s) if kind == 'max' else AvgPool2dSame(k, s)

  def bn(c):
      return nn.BatchNorm2d(c, eps=0.001, momentum=0.1)

  class ActConvBn(nn.Module):
      def __init__(self, cin, cout):
          super().__init__()
          self.act = nn.ReLU()
          self.conv = create_conv2d(cin, cout, 1)
          self.bn = bn(cout)
      def forward(self, x):
          return self.bn(self.conv(self.act(x)))

  class SeparableConv2d(nn.Module):
      def __init__(self, cin, cout, k, stride):
          super().__init__()
          self.depthwise_conv2d = create_conv2d(cin, cin, k, stride, groups=cin)
          self.pointwise_conv2d = create_conv2d(cin, cout, 1, same=False)
      def forward(self, x):
          return self.pointwise_conv2d(self.depthwise_conv2d(x))

  class BranchSeparables(nn.Module):
      def __init__(self, cin, cout, k, stride=1, stem_cell=False):
          super().__init__()
          mid = cout if stem_cell else cin
          self.act_1 = nn.ReLU()
          self.separable_1 = SeparableConv2d(cin, mid, k, stride)
          self.bn_sep_1 = bn(mid)
          self.act_2 = nn.ReLU()
          self.separable_2 = SeparableConv2d(mid, cout, k, 1)
          self.bn_sep_2 = bn(cout)
      def forward(self, x):
          return self.bn_sep_2(self.separable_2(self.act_2(self.bn_sep_1(self.separable_1(self.act_1(x))))))

  def paths(cell, cin, cout_half):
      cell.act = nn.ReLU()
      cell.path_1 = nn.Sequential()
      cell.path_1.add_module('avgpool', nn.AvgPool2d(1, stride=2, count_include_pad=False))
      cell.path_1.add_module('conv', nn.Conv2d(cin, cout_half, 1, bias=False))
      cell.path_2 = nn.Sequential()
      cell.path_2.add_module('pad', nn.ZeroPad2d((-1, 1, -1, 1)))
      cell.path_2.add_module('avgpool', nn.AvgPool2d(1, stride=2, count_include_pad=False))
      cell.path_2.add_module('conv', nn.Conv2d(cin, cout_half, 1, bias=False))
      cell.final_path_bn = bn(2 * cout_half)

  def reduce_prev(cell, x):
      x = cell.act(x)
      return cell.final_path_bn(torch.cat([cell.path_1(x), cell.path_2(x)], 1))

  def reduction_ops(cell, left_in, right_in, out, stem_cell=False):
      cell.comb_iter_0_left = BranchSeparables(left_in, out, 5, 2)
      cell.comb_iter_0_right = BranchSeparables(right_in, out, 7, 2, stem_cell)
      cell.comb_iter_1_left = create_pool2d('max', 3, 2)
      cell.comb_iter_1_right = BranchSeparables(right_in, out, 7, 2, stem_cell)
      cell.comb_iter_2_left = create_pool2d('avg', 3, 2)
      cell.comb_iter_2_right = BranchSeparables(right_in, out, 5, 2, stem_cell)
      cell.comb_iter_3_right = create_pool2d('avg', 3, 1)
      cell.comb_iter_4_left = BranchSeparables(out, out, 3, 1)
      cell.comb_iter_4_right = create_pool2d('max', 3, 2)

  def reduction_combine(cell, l, r):  # l feeds the *_left ops, r the *_right ops
      c0 = cell.comb_iter_0_left(l) + cell.comb_iter_0_right(r)
      c1 = cell.comb_iter_1_left(l) + cell.comb_iter_1_right(r)
      c2 = cell.comb_iter_2_left(l) + cell.comb_iter_2_right(r)
      c3 = cell.comb_iter_3_right(c0) + c1
      c4 = cell.comb_iter_4_left(c0) + cell.comb_iter_4_right(l)
      return torch.cat([c1, c2, c3, c4], 1)

  def normal_ops(cell, right, left):
      cell.comb_iter_0_left = BranchSeparables(right, right, 5, 1)
      cell.comb_iter_0_right = BranchSeparables(left, left, 3, 1)
      cell.comb_iter_1_left = BranchSeparables(left, left, 5, 1)
      cell.comb_iter_1_right = BranchSeparables(left, left, 3, 1)
      cell.comb_iter_2_left = create_pool2d('avg', 3, 1)
      cell.comb_iter_3_left = create_pool2d('avg', 3, 1)
      cell.comb_iter_3_right = create_pool2d('avg', 3, 1)
      cell.comb_iter_4_left = BranchSeparables(right, right, 3, 1)

  def normal_combine(cell, x_left, x_right):
      c0 = cell.comb_iter_0_left(x_right) + cell.comb_iter_0_right(x_left)
      c1 = cell.comb_iter_1_left(x_left) + cell.comb_iter_1_right(x_left)
      c2 = cell.comb_iter_2_left(x_right) + x_left
      c3 = cell.comb_iter_3_left(x_left) + cell.comb_iter_3_right(x_left)
      c4 = cell.comb_iter_4_left(x_right) + x_right
      return torch.cat([x_left, c0, c1, c2, c3, c4], 1)

  class CellStem0(nn.Module):
      def __init__(self, stem_size, nc):
          super().__init__()
          self.conv_1x1 = ActConvBn(stem_size, nc)
          reduction_ops(self, nc, stem_size, nc, stem_cell=True)
      def forward(self, x):
          return reduction_combine(self, self.conv_1x1(x), x)

  class CellStem1(nn.Module):
      def __init__(self, stem_size, nc):
          super().__init__()
          self.conv_1x1 = ActConvBn(2 * nc, nc)
          paths(self, stem_size, nc // 2)
          reduction_ops(self, nc, nc, nc)
      def forward(self, x_conv0, x_stem_0):
          return reduction_combine(self, self.conv_1x1(x_stem_0), reduce_prev(self, x_conv0))

  class FirstCell(nn.Module):
      def __init__(self, in_left, out_left, in_right, out_right):
          super().__init__()
          self.conv_1x1 = ActConvBn(in_right, out_right)
          paths(self, in_left, out_left)
          normal_ops(self, out_right, out_right)
      def forward(self, x, x_prev):
          return normal_combine(self, reduce_prev(self, x_prev), self.conv_1x1(x))

  class NormalCell(nn.Module):
      def __init__(self, in_left, out_left, in_right, out_right):
          super().__init__()
          self.conv_prev_1x1 = ActConvBn(in_left, out_left)
          self.conv_1x1 = ActConvBn(in_right, out_right)
          normal_ops(self, out_right, out_left)
      def forward(self, x, x_prev):
          return normal_combine(self, self.conv_prev_1x1(x_prev), self.conv_1x1(x))

  class ReductionCell(nn.Module):
      def __init__(self, in_left, out_left, in_right, out_right):
          super().__init__()
          self.conv_prev_1x1 = ActConvBn(in_left, out_left)
          self.conv_1x1 = ActConvBn(in_right, out_right)
          reduction_ops(self, out_right, out_right, out_right)
      def forward(self, x, x_prev):
          return reduction_combine(self, self.conv_1x1(x), self.conv_prev_1x1(x_prev))

  class ConvNormNoAct(nn.Module):
      def __init__(self, cin, cout):
          super().__init__()
          self.conv = nn.Conv2d(cin, cout, 3, stride=2, padding=0, bias=False)
          self.bn = bn(cout)
      def forward(self, x):
          return self.bn(self.conv(x))

  class NASNetALarge(nn.Module):
      def __init__(self, num_classes, stem_size=96, num_features=4032):
          super().__init__()
          c = num_features // 24
          self.conv0 = ConvNormNoAct(3, stem_size)
          self.cell_stem_0 = CellStem0(stem_size, c // 4)
          self.cell_stem_1 = CellStem1(stem_size, c // 2)
          self.cell_0 = FirstCell(c, c // 2, 2 * c, c)
          self.cell_1 = NormalCell(2 * c, c, 6 * c, c)
          for i in range(2, 6):
              setattr(self, f'cell_{i}', NormalCell(6 * c, c, 6 * c, c))
          self.reduction_cell_0 = ReductionCell(6 * c, 2 * c, 6 * c, 2 * c)
          self.cell_6 = FirstCell(6 * c, c, 8 * c, 2 * c)
          self.cell_7 = NormalCell(8 * c, 2 * c, 12 * c, 2 * c)
          for i in range(8, 12):
              setattr(self, f'cell_{i}', NormalCell(12 * c, 2 * c, 12 * c, 2 * c))
          self.reduction_cell_1 = ReductionCell(12 * c, 4 * c, 12 * c, 4 * c)
          self.cell_12 = FirstCell(12 * c, 2 * c, 16 * c, 4 * c)
          self.cell_13 = NormalCell(16 * c, 4 * c, 24 * c, 4 * c)
          for i in range(14, 18):
              setattr(self, f'cell_{i}', NormalCell(24 * c, 4 * c, 24 * c, 4 * c))
          self.act = nn.ReLU()
          self.last_linear = nn.Linear(num_features, num_classes)
      def forward(self, x):
          x_conv0 = self.conv0(x)
          s0 = self.cell_stem_0(x_conv0)
          s1 = self.cell_stem_1(x_conv0, s0)
          seq = ['cell_0', 'cell_1', 'cell_2', 'cell_3', 'cell_4', 'cell_5', 'reduction_cell_0',
                 'cell_6', 'cell_7', 'cell_8', 'cell_9', 'cell_10', 'cell_11', 'reduction_cell_1',
                 'cell_12', 'cell_13', 'cell_14', 'cell_15', 'cell_16', 'cell_17']
          prev, cur = s0, s1
          for name in seq:
              prev, cur = cur, getattr(self, name)(cur, prev)
          x = self.act(cur)
          return self.last_linear(F.adaptive_avg_pool2d(x, 1).flatten(1))
`;

test('nasnetalarge (narrow) matches a PyTorch model written from timm’s definitions (names, outputs)', { skip: oracleSkip() }, (t) => {
  manualSeed(0);
  const model = new NASNetALarge({ numClasses: 10 }, { stemSize: 32, numFeatures: 384 });
  try {
    scope(() => {
      calibrateBatchNorm(model, randn([4, 3, 64, 64]));
      const x = randn([2, 3, 64, 64]);
      const ref = timmReference(TIMM_NASNET, 'NASNetALarge(10, stem_size=32, num_features=384)', model, x);
      assert.equal(model.numParameters(), ref.numParams.item());
      assertInputDependent(ref.y);
      const embedding = noGrad(() => model.forwardEmbedding(x));
      assertParity(embedding, ref.embedding, 'embedding');
      t.diagnostic(
        `max |error| ${assertParity(
          noGrad(() => model.forwardHead(embedding)),
          ref.y,
        )} (scale ${ref.y.abs().max().item()})`,
      );
      assert.deepEqual(model.forwardFeatures(x).shape, [2, 384, 2, 2]);
    });
  } finally {
    model.dispose();
  }
});

test('nasnetalarge has timm’s parameter count (88.75M at 1000 classes) and input size', () => {
  const model = withoutInit(() => createModel('nasnetalarge'));
  try {
    const n = model.numParameters();
    assert.ok(Math.abs(n / 1e6 - 88.75) < 0.01, `${n} parameters`);
    assert.deepEqual(model.defaultInputSize, [3, 331, 331]);
    assert.equal(model.numFeatures, 4032);
  } finally {
    model.dispose();
  }
});

test('TensorFlow SAME padding puts the odd pixel bottom/right', () => {
  assert.deepEqual(samePadding([16, 16], 3, 2), [0, 1, 0, 1]);
  assert.deepEqual(samePadding([16, 15], 5, 2), [2, 2, 1, 2]); // H: 3 → 1 + 2; W: 4 → 2 + 2
  assert.deepEqual(samePadding([31, 31], 3, 2), [1, 1, 1, 1]);
  assert.deepEqual(samePadding([8, 8], 3, 1), [1, 1, 1, 1]);
});

test('nasnetalarge resets last_linear (feature access)', () => {
  checkHeadReset(new NASNetALarge({ numClasses: 1000 }, { stemSize: 32, numFeatures: 384 }), [2, 3, 64, 64]);
});
