// PyTorch checkpoints read in TypeScript against the safetensors route, for every torchvision
// architecture finegrain has: the oracle writes one random state dict both ways (torch.save
// and a hand-written safetensors file); every tensor read from the .pth must be bit-identical
// to the safetensors one, the .pth must load strictly into finegrain's model, and one model per
// family must reproduce torchvision's output from the .pth alone.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { liveTensors, noGrad, scope, loadSafetensors, openWeights, type Tensor } from '../../src/index.js';
import { createModel, listModels, modelInfo } from '../../src/models/index.js';
import { assertClose } from '../support/assert-close.js';
import { oracleAvailable, oracleSkip } from '../support/oracle.js';
import { startExport, type ExportSpec } from '../models/support/torchvision-export.js';

const NAMES = listModels().filter((n) => modelInfo(n).source === 'torchvision');
const SIZES: Record<string, number> = {
  inception_v3: 75,
  vit_b_16: 224,
  vit_b_32: 224,
  vit_l_16: 224,
  regnet_y_128gf: 32,
  regnet_y_32gf: 32,
  regnet_x_32gf: 32,
};
/** One model per family also runs forward from the .pth (the rest share their loader). */
const FORWARD = new Set([
  'alexnet',
  'vgg11_bn',
  'resnet18',
  'wide_resnet50_2',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'efficientnet_b0',
  'regnet_x_400mf',
  'regnet_y_400mf',
  'googlenet',
  'inception_v3',
  'densenet121',
  'vit_b_32',
  'convnext_tiny',
]);
const SPECS: ExportSpec[] = NAMES.map((name) => ({ name, ...(SIZES[name] ? { imageSize: SIZES[name] } : {}) }));

const run = oracleAvailable() ? startExport(SPECS, { numClasses: 10, pth: true }) : null;
after(() => run?.close());

function bytesOf(t: Tensor): Buffer {
  const a = t.toTypedArray();
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

test('every torchvision architecture finegrain has is in the list', () => {
  assert.ok(NAMES.length >= 50, `only ${NAMES.length} torchvision models`);
  for (const f of FORWARD) assert.ok(NAMES.includes(f), f);
});

for (const spec of SPECS) {
  test(`${spec.name}: torch.save's .pth reads bit-identical to safetensors and loads`, { skip: oracleSkip() }, async () => {
    const files = await run!.ready(spec.name);
    const before = liveTensors();
    try {
      const pth = openWeights(files.pth);
      const st = openWeights(files.weights);
      try {
        assert.equal(pth.format, 'zip');
        assert.deepEqual(pth.keys(), st.keys(), 'same keys in the same order');
        for (const key of st.keys()) {
          scope(() => {
            const a = pth.get(key);
            const b = st.get(key);
            assert.equal(a.dtype, b.dtype, key);
            assert.deepEqual(a.shape, b.shape, key);
            assert.ok(bytesOf(a).equals(bytesOf(b)), `${spec.name}: ${key} differs`);
          });
        }
      } finally {
        pth.close();
        st.close();
      }
      const model = createModel(spec.name, { pretrained: files.pth, numClasses: 10, exactPretrained: true });
      try {
        if (FORWARD.has(spec.name)) {
          model.eval();
          scope(() => {
            const { tensors } = loadSafetensors(files.io);
            const out = noGrad(() => model.forward(tensors.input!));
            assertClose(out, tensors.output!, { rtol: 1e-4, atol: 0, message: `${spec.name} from .pth vs torchvision` });
          });
        }
      } finally {
        model.dispose();
      }
      assert.equal(liveTensors(), before, `${spec.name}: tensors left alive`);
    } finally {
      run!.done(spec.name);
    }
  });
}
