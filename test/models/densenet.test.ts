/**
 * DenseNet-121/161/169/201 against torchvision 0.14: eval output and embedding with weights
 * exported by export_torchvision_calibrated.py (one export for the four), state-dict names
 * and parameter counts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { oracleSkip } from '../support/oracle.js';
import { checkHeadReset } from './head-reset.js';
import { checkCalibrated, startCalibratedExport } from './calibrated-export.js';

const NAMES = ['densenet121', 'densenet161', 'densenet169', 'densenet201'];
// Channels of the final map (numFeatures), from each block configuration.
const FEATURES: Record<string, number> = { densenet121: 1024, densenet161: 2208, densenet169: 1664, densenet201: 1920 };
const skip = oracleSkip();
const run = skip
  ? null
  : startCalibratedExport(
      NAMES.map((name) => ({ name, imageSize: 64 })),
      { numClasses: 10, embeddingOf: 'classifier' },
    );
after(() => run?.close());

for (const name of NAMES) {
  test(`${name} matches torchvision (eval, embedding)`, { skip }, async (t) => {
    const { error, scale } = await checkCalibrated(run!, name, {
      model: { numClasses: 10 },
      more(model, io) {
        assert.equal(model.numFeatures, FEATURES[name]);
        assert.deepEqual(noGrad(() => model.forwardFeatures(io.input!)).shape, [2, FEATURES[name], 2, 2]);
      },
    });
    t.diagnostic(`max |error| ${error} (scale ${scale})`);
  });
}

test('densenet121 has torchvision’s parameter count and GFLOPs, and trains through its dense layers', () => {
  const model = createModel('densenet121', { numClasses: 4, dropRate: 0.2 });
  try {
    // DenseNet121_Weights.IMAGENET1K_V1 meta: 7,978,856 parameters at 1000 classes.
    assert.equal(model.numParameters() - (1024 * 4 + 4) + (1024 * 1000 + 1000), 7_978_856);
    assert.ok(Math.abs(model.flops().gflops - 2.834) < 0.001, `GFLOPs ${model.flops().gflops}`); // meta: 2.834
    model.train();
    scope(() => {
      const loss = model
        .forward(randn([2, 3, 32, 32]))
        .pow(2)
        .mean();
      loss.backward();
      const g = model.stateEntries().find(([k]) => k === 'features.denseblock1.denselayer1.conv1.weight')![1].grad!;
      assert.ok(g.abs().sum().item() > 0, 'gradient reaches the first dense layer');
    });
  } finally {
    model.dispose();
  }
});

test('densenet161 resets its classifier (feature access)', () => {
  checkHeadReset(createModel('densenet161'), [2, 3, 32, 32]);
});
