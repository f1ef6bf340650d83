// Training mode against torchvision: with the same weights and batch, the train-mode output
// (BatchNorm on batch statistics), the gradients that reach the weights (through in-place
// activations, squeeze-excite, grouped convolutions and residual additions) and the updated
// running statistics agree with PyTorch's.
import { test } from 'node:test';
import { randn, scope, manualSeed, keep, type Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { assertClose } from '../support/assert-close.js';
import { perturbStats, stateInputs } from './support/timm-reference.js';

interface Case {
  name: string;
  /** Parameters whose gradients are compared, and a BatchNorm whose running mean is. */
  grads: string[];
  bn: string;
  /** Extra torchvision constructor arguments (dropout off: its random masks cannot match). */
  kwargs?: string;
}

const CASES: Case[] = [
  { name: 'resnet18', grads: ['conv1.weight', 'layer2.0.downsample.0.weight', 'layer3.1.bn2.weight', 'fc.weight'], bn: 'layer4.1.bn1' },
  {
    name: 'mobilenet_v3_small',
    grads: ['features.0.0.weight', 'features.4.block.2.fc1.weight', 'features.9.block.1.1.bias', 'classifier.3.weight'],
    bn: 'features.6.block.0.1',
    kwargs: 'dropout=0.0',
  },
  {
    name: 'regnet_y_400mf',
    grads: ['stem.0.weight', 'trunk_output.block2.block2-0.f.b.0.weight', 'trunk_output.block3.block3-1.f.se.fc2.bias', 'fc.bias'],
    bn: 'trunk_output.block1.block1-0.proj.1',
  },
];

test('train-mode outputs, gradients and running statistics match torchvision', { skip: oracleSkip() }, () => {
  manualSeed(11);
  scope(() => {
    const inputs: Record<string, Tensor> = {};
    const ours: Record<string, Tensor> = {};
    let code = '';
    for (const c of CASES) {
      const m = createModel(c.name, { numClasses: 10, dropRate: 0 });
      perturbStats(m);
      // copies: the state dict's views would see the running statistics this pass updates
      for (const [k, v] of Object.entries(stateInputs(m, `${c.name}.sd.`))) inputs[k] = v.clone();
      const x = randn([4, 3, 48, 48]);
      const seed = randn([4, 10]);
      inputs[`${c.name}.x`] = x;
      inputs[`${c.name}.seed`] = seed;
      m.train();
      const y = m.forward(x);
      y.mul(seed).sum().backward();
      ours[`${c.name}.y`] = y.detach();
      const params = new Map(m.namedParameters());
      for (const g of c.grads) ours[`${c.name}.d.${g}`] = params.get(g)!.grad!;
      ours[`${c.name}.mean`] = keep(m.getSubmodule(c.bn).buffers()[0]!.clone());
      m.dispose();
      code += `
m = torchvision.models.get_model('${c.name}', num_classes=10${c.kwargs ? `, ${c.kwargs}` : ''})
m.load_state_dict({k[len('${c.name}.sd.'):]: v for k, v in inputs.items() if k.startswith('${c.name}.sd.')})
m.train()
y = m(inputs['${c.name}.x'])
(y * inputs['${c.name}.seed']).sum().backward()
outputs['${c.name}.y'] = y
p = dict(m.named_parameters())
for g in ${JSON.stringify(c.grads)}:
    outputs['${c.name}.d.' + g] = p[g].grad
outputs['${c.name}.mean'] = m.get_submodule('${c.bn}').running_mean
`;
    }
    const theirs = torchOracle(code, inputs);
    for (const [k, v] of Object.entries(ours)) assertClose(v, theirs[k]!, { rtol: 1e-4, atol: 1e-6, message: k });
  });
});
