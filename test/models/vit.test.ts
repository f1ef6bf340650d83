/**
 * ViT-B/16, ViT-B/32 and ViT-L/16 against torchvision 0.14 at small image sizes (the
 * `imageSize` option, torchvision's `image_size`): eval output and class-token embedding with
 * weights exported by export_torchvision_calibrated.py (the zero-initialised head and the
 * LayerNorms re-drawn), state-dict names, parameter counts; patch-token feature maps; FLOPs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { VisionTransformer } from '../../src/models/vit/vit.js';
import { oracleSkip } from '../support/oracle.js';
import { checkHeadReset } from './head-reset.js';
import { checkCalibrated, startCalibratedExport } from './calibrated-export.js';

const skip = oracleSkip();
const CASES = [
  { name: 'vit_b_16', imageSize: 64 },
  { name: 'vit_b_32', imageSize: 64 },
  { name: 'vit_l_16', imageSize: 32 }, // 304M parameters: the smallest grid keeps it quick
];
const run = skip ? null : startCalibratedExport(CASES, { numClasses: 10, imageSizeArg: true, embeddingOf: 'heads.head' });
after(() => run?.close());

for (const { name, imageSize } of CASES) {
  test(`${name} at ${imageSize}x${imageSize} matches torchvision (eval, class-token embedding)`, { skip }, async (t) => {
    const { error, scale } = await checkCalibrated(run!, name, {
      model: { numClasses: 10, imageSize },
      more(model, io) {
        const side = imageSize / (model as VisionTransformer).patchSize;
        assert.deepEqual(noGrad(() => model.forwardFeatures(io.input!)).shape, [2, model.numFeatures, side, side]);
      },
    });
    t.diagnostic(`max |error| ${error} (scale ${scale})`);
  });
}

test('vit_b_16 and vit_b_32 at 224: torchvision’s parameter counts and GFLOPs', () => {
  // ViT_B_16_Weights / ViT_B_32_Weights.IMAGENET1K_V1 meta: 86,567,656 and 88,224,232
  // parameters; 17.564 and 4.409 GFLOPS (counted here on B/32: one forward pass at 224).
  const b16 = withoutInit(() => createModel('vit_b_16'));
  const b32 = withoutInit(() => createModel('vit_b_32'));
  try {
    assert.equal(b16.numParameters(), 86_567_656);
    assert.equal(b32.numParameters(), 88_224_232);
    const { gflops } = b32.flops();
    assert.ok(Math.abs(gflops - 4.409) < 0.001, `GFLOPs ${gflops}`);
  } finally {
    b16.dispose();
    b32.dispose();
  }
});

test('vit feature map holds the patch tokens in row-major order; other sizes are refused', () => {
  const model = createModel('vit_b_32', { numClasses: 3, imageSize: 64 }) as VisionTransformer;
  try {
    model.eval();
    scope(() => {
      const x = randn([1, 3, 64, 64]);
      const tokens = model.forwardTokens(x); // [1, 5, 768]: class token, then 2x2 patches
      const map = model.forwardFeatures(x); // [1, 768, 2, 2]
      assert.deepEqual(map.shape, [1, 768, 2, 2]);
      assert.ok(map.select(3, 1).select(2, 1).equal(tokens.select(1, 4)), 'patch (1, 1) is token 4');
      assert.ok(map.select(3, 0).select(2, 1).equal(tokens.select(1, 3)), 'patch (1, 0) is token 3');
      assert.throws(() => model.forward(randn([1, 3, 96, 96])), /expected 64x64 input/);
    });
  } finally {
    model.dispose();
  }
  assert.throws(() => createModel('vit_b_16', { imageSize: 100 }), /multiple of the patch size 16/);
});

test('vit_b_32 resets heads.head (feature access)', () => {
  checkHeadReset(createModel('vit_b_32', { imageSize: 64 }), [2, 3, 64, 64]);
});
