/**
 * GoogLeNet against torchvision 0.14: eval output, embedding and training-mode outputs
 * (main and both auxiliary logits, dropout off) with weights exported by
 * export_torchvision_calibrated.py; state-dict names; aux and transform_input handling;
 * classifier reset.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { Dropout } from '../../src/nn/layers/dropout.js';
import { GoogLeNet } from '../../src/models/inception/googlenet.js';
import { oracleSkip } from '../support/oracle.js';
import { assertInputDependent, assertParity, exportCalibrated, loadExported, type Export } from './calibrated-parity.js';

const skip = oracleSkip();
let exp: Export | undefined;

before(() => {
  // transform_input on: covers the re-normalisation too (its absence is the plain path).
  if (!skip) exp = exportCalibrated(['googlenet'], { imageSize: 64, numClasses: 10, kwargs: { transform_input: true }, embeddingOf: 'fc', trainOutput: true });
});
after(() => exp?.cleanup());

test('googlenet matches torchvision (eval, embedding, training with aux heads)', { skip }, (t) => {
  const model = withoutInit(() => createModel('googlenet', { numClasses: 10, transformInput: true })) as GoogLeNet;
  try {
    scope(() => {
      const ref = loadExported(model, exp!.path('googlenet'));
      assert.equal(model.numParameters(), Number(ref.metadata.num_params));
      model.eval();
      assertInputDependent(ref.output);
      t.diagnostic(`max |error| ${assertParity(model.forward(ref.input), ref.output)} (scale ${ref.output.abs().max().item()})`);
      assertParity(model.forwardEmbedding(ref.input), ref.embedding!, 'embedding');
      assert.deepEqual(model.forwardFeatures(ref.input).shape, [2, 1024, 2, 2]);
      assert.deepEqual(Object.keys(model.forwardWithAux(ref.input)), ['logits'], 'no aux logits in eval mode');

      for (const m of model.modules()) if (m instanceof Dropout) m.p = 0;
      model.train();
      const { logits, aux1, aux2 } = model.forwardWithAux(ref.input);
      assertParity(logits, ref.extra.train_output!, 'training-mode logits');
      assertParity(aux1!, ref.extra.train_aux1!, 'aux1');
      assertParity(aux2!, ref.extra.train_aux2!, 'aux2');
    });
  } finally {
    model.dispose();
  }
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
      assert.deepEqual([logits.shape, aux1!.shape, aux2!.shape], [[2, 7], [2, 7], [2, 7]]);
    });
  } finally {
    model.dispose();
  }
});
