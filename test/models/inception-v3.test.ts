/**
 * Inception v3 against torchvision 0.14: eval output and embedding at the smallest input
 * (75x75) with weights exported by export_torchvision_calibrated.py, state-dict names; the
 * auxiliary head against torchvision's InceptionAux on the 17x17 grid; aux logits only in
 * training mode.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { Inception3 } from '../../src/models/inception/inception-v3.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { checkHeadReset } from './head-reset.js';
import { assertParity, checkCalibrated, startCalibratedExport } from './calibrated-export.js';

const skip = oracleSkip();
const run = skip ? null : startCalibratedExport([{ name: 'inception_v3', imageSize: 75 }], { numClasses: 10, embeddingOf: 'fc' });
after(() => run?.close());

test('inception_v3 matches torchvision (eval, embedding) and its aux head matches InceptionAux', { skip }, async (t) => {
  const { error, scale } = await checkCalibrated(run!, 'inception_v3', {
    model: { numClasses: 10 },
    more(model, io) {
      const net = model as Inception3;
      assert.deepEqual(noGrad(() => net.forwardFeatures(io.input!)).shape, [2, 2048, 1, 1]);
      assert.deepEqual(Object.keys(noGrad(() => net.forwardWithAux(io.input!))), ['logits'], 'no aux logits in eval mode');
      // The aux head needs a 17x17 grid (a 299x299 input): checked on its own, same weights.
      const grid = randn([2, 768, 17, 17]);
      const aux = net.AuxLogits!;
      const expected = torchOracle(
        `
        from torchvision.models.inception import InceptionAux
        aux = InceptionAux(768, 10)
        aux.load_state_dict({k: v for k, v in inputs.items() if k != 'grid'})
        aux.eval()
        with torch.no_grad():
            outputs['y'] = aux(inputs['grid'])
        `,
        { grid, ...aux.stateDict() },
      ).y!;
      assertParity(
        noGrad(() => aux.forward(grid)),
        expected,
        'aux logits',
      );
    },
  });
  t.diagnostic(`max |error| ${error} (scale ${scale})`);
});

test('inception_v3 returns aux logits in training mode at 299x299', () => {
  const model = createModel('inception_v3', { numClasses: 5 }) as Inception3;
  try {
    assert.deepEqual(model.defaultInputSize, [3, 299, 299]);
    scope(() => {
      const x = randn([2, 3, 299, 299]); // 2: the aux head's BatchNorm sees a 1x1 map
      model.train();
      const train = noGrad(() => model.forwardWithAux(x));
      assert.deepEqual(
        [train.logits.shape, train.aux!.shape],
        [
          [2, 5],
          [2, 5],
        ],
      );
    });
    model.resetClassifier(3);
    assert.deepEqual(model.stateDict()['AuxLogits.fc.weight']!.shape, [3, 768]);
  } finally {
    model.dispose();
  }
});

test('inception_v3 without the aux head has torchvision pretrained model’s parameter count and GFLOPs', () => {
  const model = withoutInit(() => createModel('inception_v3', { auxLogits: false }));
  try {
    // Inception_V3_Weights.IMAGENET1K_V1 meta: 27,161,264 parameters, which include AuxLogits
    // (torchvision keeps them in the checkpoint); without them 3,326,696 fewer.
    assert.equal(model.numParameters(), 27_161_264 - (128 * 768 + 2 * 128 + 128 * 768 * 25 + 2 * 768 + 768 * 1000 + 1000));
    // Inception_V3_Weights meta: 5.713 GFLOPS at 299x299 (the default input size).
    assert.ok(Math.abs(model.flops().gflops - 5.713) < 0.001, `GFLOPs ${model.flops().gflops}`);
  } finally {
    model.dispose();
  }
});

test('inception_v3 resets fc (feature access)', () => {
  checkHeadReset(createModel('inception_v3'), [2, 3, 75, 75]);
});
