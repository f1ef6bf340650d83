/**
 * GoogLeNet against torchvision 0.14: eval output, embedding and training-mode outputs
 * (main and both auxiliary logits, dropout off) with weights exported by
 * export_torchvision_calibrated.py; state-dict names; aux and transform_input handling;
 * classifier reset.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { Dropout } from '../../src/nn/layers/dropout.js';
import { GoogLeNet } from '../../src/models/inception/googlenet.js';
import { oracleSkip } from '../support/oracle.js';
import { checkHeadReset } from './head-reset.js';
import { assertParity, checkCalibrated, startCalibratedExport } from './calibrated-export.js';

const skip = oracleSkip();
// transform_input on: covers the re-normalisation too (its absence is the plain path).
const run = skip
  ? null
  : startCalibratedExport([{ name: 'googlenet', imageSize: 64 }], { numClasses: 10, kwargs: { transform_input: true }, embeddingOf: 'fc', trainOutput: true });
after(() => run?.close());

test('googlenet matches torchvision (eval, embedding, training with aux heads)', { skip }, async (t) => {
  const { error, scale } = await checkCalibrated(run!, 'googlenet', {
    model: { numClasses: 10, transformInput: true },
    more(model, io) {
      const net = model as GoogLeNet;
      assert.deepEqual(noGrad(() => net.forwardFeatures(io.input!)).shape, [2, 1024, 2, 2]);
      assert.deepEqual(Object.keys(noGrad(() => net.forwardWithAux(io.input!))), ['logits'], 'no aux logits in eval mode');
      for (const m of net.modules()) if (m instanceof Dropout) m.p = 0;
      net.train();
      const { logits, aux1, aux2 } = noGrad(() => net.forwardWithAux(io.input!));
      assertParity(logits, io.train_output!, 'training-mode logits');
      assertParity(aux1!, io.train_aux1!, 'aux1');
      assertParity(aux2!, io.train_aux2!, 'aux2');
    },
  });
  t.diagnostic(`max |error| ${error} (scale ${scale})`);
});

test('googlenet without aux heads has torchvision pretrained model’s parameter count and GFLOPs', () => {
  const model = withoutInit(() => createModel('googlenet', { auxLogits: false }));
  try {
    // torchvision's GoogLeNet_Weights.IMAGENET1K_V1 meta: num_params 6,624,904 (aux heads dropped).
    assert.equal(model.numParameters(), 6_624_904);
    assert.ok(Math.abs(model.flops().gflops - 1.498) < 0.001, `GFLOPs ${model.flops().gflops}`); // meta: 1.498
    assert.ok(!model.stateEntries().some(([k]) => k.startsWith('aux')));
    model.train();
    scope(() => {
      const out = (model as GoogLeNet).forwardWithAux(randn([2, 3, 64, 64]));
      assert.deepEqual(Object.keys(out), ['logits']);
    });
  } finally {
    model.dispose();
  }
});

test('googlenet resetClassifier resizes the main and auxiliary heads', () => {
  const model = createModel('googlenet', { numClasses: 1000 }) as GoogLeNet;
  try {
    model.resetClassifier(7, { dropRate: 0.3 });
    assert.equal(model.dropout.p, 0.3);
    assert.deepEqual(model.stateDict()['aux1.fc2.weight']!.shape, [7, 1024]);
    model.train();
    scope(() => {
      const { logits, aux1, aux2 } = model.forwardWithAux(randn([2, 3, 64, 64]));
      assert.deepEqual(
        [logits.shape, aux1!.shape, aux2!.shape],
        [
          [2, 7],
          [2, 7],
          [2, 7],
        ],
      );
    });
  } finally {
    model.dispose();
  }
});

test('googlenet resets fc (feature access)', () => {
  checkHeadReset(createModel('googlenet'), [2, 3, 64, 64]);
});
