/**
 * ConvNeXt-T against torchvision 0.14: eval output and embedding (after the classifier's
 * LayerNorm) with weights exported by export_torchvision_calibrated.py (layer scales and
 * LayerNorms re-drawn so every block shows), state-dict names; parameter counts of the four
 * variants; stochastic depth active in training only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { ConvNeXt } from '../../src/models/convnext/convnext.js';
import { oracleSkip } from '../support/oracle.js';
import { assertInputDependent, assertParity, exportCalibrated, loadExported, type Export } from './calibrated-parity.js';

const skip = oracleSkip();
let exp: Export | undefined;

before(() => {
  if (!skip) exp = exportCalibrated(['convnext_tiny'], { imageSize: 64, numClasses: 10, embeddingOf: 'classifier.2' });
});
after(() => exp?.cleanup());

test('convnext_tiny matches torchvision (eval, embedding)', { skip }, (t) => {
  const model = withoutInit(() => createModel('convnext_tiny', { numClasses: 10 }));
  try {
    scope(() => {
      const ref = loadExported(model, exp!.path('convnext_tiny'));
      assert.equal(model.numParameters(), Number(ref.metadata.num_params));
      model.eval();
      assertInputDependent(ref.output);
      t.diagnostic(`max |error| ${assertParity(model.forward(ref.input), ref.output)} (scale ${ref.output.abs().max().item()})`);
      assertParity(model.forwardEmbedding(ref.input), ref.embedding!, 'embedding');
      assert.deepEqual(model.forwardFeatures(ref.input).shape, [2, 768, 2, 2]);
    });
  } finally {
    model.dispose();
  }
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
