// Parameter counts against torchvision's (sum(p.numel()) in PyTorch, and the counts torchvision
// documents for every architecture) and FLOPs against torchvision's documented GFLOPS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel, listModels } from '../../src/models/index.js';
import { withoutInit, countFlops } from '../../src/nn/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';

const count = (name: string): number => {
  const m = withoutInit(() => createModel(name));
  const n = m.numParameters();
  m.dispose();
  return n;
};

test('parameter counts equal sum(p.numel()) of the torchvision models', { skip: oracleSkip() }, () => {
  const names = ['alexnet', 'vgg11_bn', 'resnet50', 'resnext50_32x4d', 'mobilenet_v3_large', 'efficientnet_b3', 'regnet_x_1_6gf', 'regnet_y_3_2gf'];
  const code = names
    .map((n) => `outputs['${n}'] = torch.tensor([sum(p.numel() for p in torchvision.models.get_model('${n}').parameters())], dtype=torch.int64)`)
    .join('\n');
  const ref = torchOracle(code);
  for (const n of names) assert.equal(count(n), ref[n]!.item(), n);
});

test("parameter counts equal torchvision's documented counts for every torchvision architecture", { skip: oracleSkip() }, () => {
  const names = listModels().filter((n) => /^(alexnet|vgg|resnet|resnext|wide_resnet|mobilenet|efficientnet_b|regnet_[xy]_)/.test(n));
  assert.equal(names.length, 42);
  const code = names
    .map((n) => `outputs['${n}'] = torch.tensor([list(torchvision.models.get_model_weights('${n}'))[0].meta['num_params']], dtype=torch.int64)`)
    .join('\n');
  const ref = torchOracle(code);
  for (const n of names) assert.equal(count(n), ref[n]!.item(), n);
});

test("FLOPs (multiply-adds) equal torchvision's documented GFLOPS", () => {
  // torchvision's model documentation, GFLOPS at the default crop (two decimals)
  const documented: [string, number][] = [
    ['resnet50', 4.09],
    ['mobilenet_v2', 0.3],
    ['regnet_y_16gf', 15.91],
    ['resnet18', 1.81],
    ['alexnet', 0.71],
    ['vgg16', 15.47],
    ['mobilenet_v3_large', 0.22],
    ['efficientnet_b0', 0.39],
  ];
  for (const [name, gflops] of documented) {
    const m = withoutInit(() => createModel(name));
    const counted = m.flops().gflops;
    assert.ok(Math.abs(counted - gflops) < 0.006, `${name}: ${counted.toFixed(3)} GFLOPs, documented ${gflops}`);
    assert.equal(countFlops(m, [3, 448, 448]).gflops > 3.9 * counted, true, `${name}: FLOPs scale with the input area`);
    assert.ok(m.training, 'counting restores the training mode');
    m.dispose();
  }
});
