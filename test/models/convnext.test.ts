/**
 * ConvNeXt-T against torchvision 0.14: eval output and embedding (after the classifier's
 * LayerNorm) with weights exported by export_torchvision_calibrated.py (layer scales and
 * LayerNorms re-drawn so every block shows), state-dict names; parameter counts of the four
 * variants; stochastic depth active in training only.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { ConvNeXt } from '../../src/models/convnext/convnext.js';
import { oracleSkip } from '../support/oracle.js';
import { checkHeadReset } from './head-reset.js';
import { checkCalibrated, startCalibratedExport } from './calibrated-export.js';

const skip = oracleSkip();
const run = skip ? null : startCalibratedExport([{ name: 'convnext_tiny', imageSize: 64 }], { numClasses: 10, embeddingOf: 'classifier.2' });
after(() => run?.close());

test('convnext_tiny matches torchvision (eval, embedding)', { skip }, async (t) => {
  const { error, scale } = await checkCalibrated(run!, 'convnext_tiny', {
    model: { numClasses: 10 },
    more(model, io) {
      assert.deepEqual(noGrad(() => model.forwardFeatures(io.input!)).shape, [2, 768, 2, 2]);
    },
  });
  t.diagnostic(`max |error| ${error} (scale ${scale})`);
});

test('convnext variants have torchvision’s parameter counts (and tiny its GFLOPs)', () => {
  // ConvNeXt_{Tiny,Small,Base,Large}_Weights.IMAGENET1K_V1 meta.
  const expected: Record<string, number> = { convnext_tiny: 28_589_128, convnext_small: 50_223_688, convnext_base: 88_591_464, convnext_large: 197_767_336 };
  for (const [name, count] of Object.entries(expected)) {
    const model = withoutInit(() => createModel(name));
    try {
      assert.equal(model.numParameters(), count, name);
      if (name === 'convnext_tiny') assert.ok(Math.abs(model.flops().gflops - 4.456) < 0.001, `GFLOPs ${model.flops().gflops}`); // meta: 4.456
    } finally {
      model.dispose();
    }
  }
});

test('convnext stochastic depth drops blocks in training only', () => {
  // Rate 1 on every block but the first: training then skips them all, eval keeps them.
  const model = new ConvNeXt({ dims: [8, 16, 32, 64], depths: [1, 1, 1, 1], stochasticDepthProb: 1 }, { numClasses: 3 });
  try {
    scope(() => {
      const x = randn([2, 3, 32, 32]);
      model.eval();
      const evalA = noGrad(() => model.forward(x));
      const evalB = noGrad(() => model.forward(x));
      assert.ok(evalA.equal(evalB), 'eval is deterministic');
      model.train();
      const train = noGrad(() => model.forward(x));
      assert.ok(!train.equal(evalA), 'training drops residual branches');
    });
  } finally {
    model.dispose();
  }
});

test('convnext_tiny resets classifier.2 (feature access)', () => {
  checkHeadReset(createModel('convnext_tiny'), [2, 3, 32, 32]);
});
