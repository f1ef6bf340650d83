/**
 * Inception-v4 with timm's names and architecture (timm has no Python package here): the
 * reference below follows timm/models/inception_v4.py module by module (ConvNormAct = conv
 * without bias → BatchNorm eps 1e-3 → ReLU; the same attribute names), loaded strictly with
 * the finegrain model's weights; outputs compared at the smallest input (75x75); parameter
 * count against timm's documented 42.7M.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { oracleSkip } from '../support/oracle.js';
import { checkHeadReset } from './head-reset.js';
import { assertInputDependent, assertParity } from './calibrated-export.js';
import { calibrateBatchNorm, timmReference } from './timm-oracle.js';

const TIMM_INCEPTION_V4 = `
  import torch.nn as nn

  class ConvNormAct(nn.Module):
      def __init__(self, cin, cout, kernel_size, stride=1, padding=0):
          super().__init__()
          self.conv = nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, bias=False)
          self.bn = nn.BatchNorm2d(cout, eps=1e-3)
      def forward(self, x):
          return F.relu(self.bn(self.conv(x)))

  C = ConvNormAct
  def avg_branch(cin, cout):
      return nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), C(cin, cout, 1))

  class Cat(nn.Module):  # concatenates the outputs of its children, in order
      def forward(self, x):
          return torch.cat([m(x) for m in self.children()], 1)

  class Mixed3a(Cat):
      def __init__(self):
          super().__init__()
          self.maxpool = nn.MaxPool2d(3, stride=2)
          self.conv = C(64, 96, 3, stride=2)

  class Mixed4a(Cat):
      def __init__(self):
          super().__init__()
          self.branch0 = nn.Sequential(C(160, 64, 1), C(64, 96, 3))
          self.branch1 = nn.Sequential(C(160, 64, 1), C(64, 64, (1, 7), padding=(0, 3)), C(64, 64, (7, 1), padding=(3, 0)), C(64, 96, 3))

  class Mixed5a(Cat):
      def __init__(self):
          super().__init__()
          self.conv = C(192, 192, 3, stride=2)
          self.maxpool = nn.MaxPool2d(3, stride=2)

  class InceptionA(Cat):
      def __init__(self):
          super().__init__()
          self.branch0 = C(384, 96, 1)
          self.branch1 = nn.Sequential(C(384, 64, 1), C(64, 96, 3, padding=1))
          self.branch2 = nn.Sequential(C(384, 64, 1), C(64, 96, 3, padding=1), C(96, 96, 3, padding=1))
          self.branch3 = avg_branch(384, 96)

  class ReductionA(Cat):
      def __init__(self):
          super().__init__()
          self.branch0 = C(384, 384, 3, stride=2)
          self.branch1 = nn.Sequential(C(384, 192, 1), C(192, 224, 3, padding=1), C(224, 256, 3, stride=2))
          self.branch2 = nn.MaxPool2d(3, stride=2)

  class InceptionB(Cat):
      def __init__(self):
          super().__init__()
          self.branch0 = C(1024, 384, 1)
          self.branch1 = nn.Sequential(C(1024, 192, 1), C(192, 224, (1, 7), padding=(0, 3)), C(224, 256, (7, 1), padding=(3, 0)))
          self.branch2 = nn.Sequential(C(1024, 192, 1), C(192, 192, (7, 1), padding=(3, 0)), C(192, 224, (1, 7), padding=(0, 3)),
                                       C(224, 224, (7, 1), padding=(3, 0)), C(224, 256, (1, 7), padding=(0, 3)))
          self.branch3 = avg_branch(1024, 128)

  class ReductionB(Cat):
      def __init__(self):
          super().__init__()
          self.branch0 = nn.Sequential(C(1024, 192, 1), C(192, 192, 3, stride=2))
          self.branch1 = nn.Sequential(C(1024, 256, 1), C(256, 256, (1, 7), padding=(0, 3)), C(256, 320, (7, 1), padding=(3, 0)), C(320, 320, 3, stride=2))
          self.branch2 = nn.MaxPool2d(3, stride=2)

  class InceptionC(nn.Module):
      def __init__(self):
          super().__init__()
          self.branch0 = C(1536, 256, 1)
          self.branch1_0 = C(1536, 384, 1)
          self.branch1_1a = C(384, 256, (1, 3), padding=(0, 1))
          self.branch1_1b = C(384, 256, (3, 1), padding=(1, 0))
          self.branch2_0 = C(1536, 384, 1)
          self.branch2_1 = C(384, 448, (3, 1), padding=(1, 0))
          self.branch2_2 = C(448, 512, (1, 3), padding=(0, 1))
          self.branch2_3a = C(512, 256, (1, 3), padding=(0, 1))
          self.branch2_3b = C(512, 256, (3, 1), padding=(1, 0))
          self.branch3 = avg_branch(1536, 256)
      def forward(self, x):
          x1 = self.branch1_0(x)
          x2 = self.branch2_2(self.branch2_1(self.branch2_0(x)))
          return torch.cat((self.branch0(x), self.branch1_1a(x1), self.branch1_1b(x1),
                            self.branch2_3a(x2), self.branch2_3b(x2), self.branch3(x)), 1)

  class InceptionV4(nn.Module):
      def __init__(self, num_classes):
          super().__init__()
          self.features = nn.Sequential(
              C(3, 32, 3, stride=2), C(32, 32, 3), C(32, 64, 3, padding=1), Mixed3a(), Mixed4a(), Mixed5a(),
              *[InceptionA() for _ in range(4)], ReductionA(), *[InceptionB() for _ in range(7)], ReductionB(),
              *[InceptionC() for _ in range(3)])
          self.last_linear = nn.Linear(1536, num_classes)
      def forward(self, x):
          return self.last_linear(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))
`;

test('inception_v4 matches a PyTorch model written from timm’s definitions (names, outputs)', { skip: oracleSkip() }, (t) => {
  manualSeed(0);
  const model = createModel('inception_v4', { numClasses: 10 });
  try {
    scope(() => {
      calibrateBatchNorm(model, randn([4, 3, 75, 75]));
      const x = randn([2, 3, 75, 75]);
      const ref = timmReference(TIMM_INCEPTION_V4, 'InceptionV4(10)', model, x);
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
      assert.deepEqual(model.forwardFeatures(x).shape, [2, 1536, 1, 1]);
    });
  } finally {
    model.dispose();
  }
});

test('inception_v4 has timm’s parameter count (42.7M at 1000 classes)', () => {
  const model = createModel('inception_v4');
  try {
    const n = model.numParameters();
    assert.ok(Math.abs(n / 1e6 - 42.68) < 0.01, `${n} parameters`);
    assert.deepEqual(model.defaultInputSize, [3, 299, 299]);
    assert.deepEqual(
      model
        .stateEntries()
        .slice(0, 3)
        .map(([k]) => k),
      ['features.0.conv.weight', 'features.0.bn.weight', 'features.0.bn.bias'],
    );
    assert.ok(model.stateEntries().some(([k]) => k === 'features.21.branch2_3b.bn.running_var'));
    assert.ok(model.stateEntries().some(([k]) => k === 'last_linear.weight'));
  } finally {
    model.dispose();
  }
});

test('inception_v4 resets last_linear (feature access)', () => {
  checkHeadReset(createModel('inception_v4'), [2, 3, 75, 75]);
});
