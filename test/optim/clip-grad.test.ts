// Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipGradNorm_, clipGradValue_, liveTensors, manualSeed, randn, scope, tensor, type Tensor } from '../../src/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { assertClose } from '../support/assert-close.js';

function withGrads(grads: Tensor[]): Tensor[] {
  return grads.map((g) => {
    const p = randn(g.shape, { requiresGrad: true });
    p.grad = g.clone();
    return p;
  });
}

test('clipGradNorm_ and clipGradValue_ match PyTorch for norms 2, 1, inf and values', { skip: oracleSkip() }, () => {
  scope(() => {
    manualSeed(5);
    const g = { g0: randn([4, 3]).mul(3), g1: randn([7]), g2: randn([2, 2, 2]).mul(0.01) };
    const expected = torchOracle(
      `
      import math
      for name, norm_type, max_norm in [('n2', 2.0, 1.0), ('n1', 1.0, 2.5), ('ninf', math.inf, 0.5), ('big', 2.0, 1e6), ('n3', 3.0, 0.7)]:
          ps = [torch.zeros_like(inputs[k]).requires_grad_() for k in ('g0', 'g1', 'g2')]
          for p, k in zip(ps, ('g0', 'g1', 'g2')):
              p.grad = inputs[k].clone()
          # reshape: the oracle cannot return 0-dim tensors
          outputs[name + '_total'] = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type).reshape(1)
          for i, p in enumerate(ps):
              outputs[f'{name}_{i}'] = p.grad
      ps = [torch.zeros_like(inputs[k]).requires_grad_() for k in ('g0', 'g1', 'g2')]
      for p, k in zip(ps, ('g0', 'g1', 'g2')):
          p.grad = inputs[k].clone()
      torch.nn.utils.clip_grad_value_(ps, 0.8)
      for i, p in enumerate(ps):
          outputs[f'value_{i}'] = p.grad
      `,
      g,
    );
    const grads = [g.g0, g.g1, g.g2];
    for (const [name, normType, maxNorm] of [
      ['n2', 2, 1],
      ['n1', 1, 2.5],
      ['ninf', Infinity, 0.5],
      ['big', 2, 1e6],
      ['n3', 3, 0.7],
    ] as const) {
      const ps = withGrads(grads);
      const before = liveTensors();
      const total = clipGradNorm_(ps, maxNorm, normType);
      assert.equal(liveTensors(), before + 1, 'only the returned norm may survive');
      assert.deepEqual(total.shape, []);
      assertClose(total.reshape([1]), expected[`${name}_total`]!, { rtol: 1e-6, message: `${name} total norm` });
      ps.forEach((p, i) => assertClose(p.grad!, expected[`${name}_${i}`]!, { rtol: 1e-6, message: `${name} grad ${i}` }));
    }
    const ps = withGrads(grads);
    clipGradValue_(ps, 0.8);
    ps.forEach((p, i) => assertClose(p.grad!, expected[`value_${i}`]!, { rtol: 0, atol: 0, message: `value grad ${i}` }));
    assert.ok(ps[0]!.grad!.abs().max().item() <= Math.fround(0.8) && grads[0]!.abs().max().item() > 0.8, 'clipping happened');
  });
});

test('clipGradNorm_: no gradients gives 0; non-finite norms throw only when asked', () => {
  scope(() => {
    const p = randn([3], { requiresGrad: true });
    assert.equal(clipGradNorm_([p], 1).item(), 0);
    p.grad = tensor([1, Infinity, 0]);
    assert.equal(clipGradNorm_(p, 1).item(), Infinity);
    p.grad = tensor([1, NaN, 0]);
    assert.throws(() => clipGradNorm_([p], 1, 2, { errorIfNonfinite: true }), /non-finite/);
  });
});
