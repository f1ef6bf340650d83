// CPU autocast (bfloat16) against torch.autocast('cpu', dtype=torch.bfloat16): which
// operators run in bfloat16 and which stay in float32 follows libtorch's CPU autocast lists,
// so every operator's output dtype must equal PyTorch's, and its values agree within bf16
// precision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aten, atenUntyped } from '../../src/native/aten.js';
import type { Handle } from '../../src/native/binding.js';
import { autocast, isAutocastEnabled, manualSeed, randn, randint, scope, wrap, type Tensor } from '../../src/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { assertClose } from '../support/assert-close.js';

/** Each probe: the finegrain call and the same operator from Python, on the same inputs. */
type In = Record<'x' | 'w' | 'img' | 'k' | 'b' | 'c' | 'labels', Tensor>;
const PROBES: [string, (i: In) => Tensor, string][] = [
  ['matmul', (i) => i.x.matmul(i.w), `x @ w`],
  ['conv2d', (i) => wrap(aten('conv2d').call(i.img.handle, i.k.handle, i.b.handle, [1, 1], [1, 1])), `F.conv2d(img, k, b, padding=1)`],
  ['linear', (i) => wrap(aten('linear').call(i.x.handle, i.w.t().handle, null)), `F.linear(x, w.t())`],
  ['addmm', (i) => wrap(aten('addmm').call(i.c.handle, i.x.handle, i.w.handle)), `torch.addmm(c, x, w)`],
  ['bmm', (i) => i.x.unsqueeze(0).bmm(i.w.unsqueeze(0)), `torch.bmm(x[None], w[None])`],
  ['softmax of a float32 input', (i) => wrap(aten('softmax.int').call(i.x.handle, -1, null)), `torch.softmax(x, -1)`],
  ['softmax of a bf16 product', (i) => wrap(aten('softmax.int').call(i.x.matmul(i.w).handle, -1, null)), `torch.softmax(x @ w, -1)`],
  ['log_softmax of a bf16 product', (i) => wrap(aten('log_softmax.int').call(i.x.matmul(i.w).handle, -1, null)), `torch.log_softmax(x @ w, -1)`],
  ['cross_entropy', (i) => wrap(aten('cross_entropy_loss').call(i.x.matmul(i.w).handle, i.labels.handle)), `F.cross_entropy(x @ w, labels)`],
  ['mse_loss', (i) => wrap(aten('mse_loss').call(i.x.matmul(i.w).handle, i.x.handle)), `F.mse_loss(x @ w, x)`],
  ['prod', (i) => i.x.matmul(i.w).slice(1, 0, 2).prod(1), `(x @ w)[:, :2].prod(1)`],
  ['relu', (i) => wrap(aten('relu').call(i.x.matmul(i.w).handle)), `F.relu(x @ w)`],
  ['add bf16 + float32 promotes', (i) => i.x.matmul(i.w).add(i.x), `x @ w + x`],
  ['sum', (i) => i.x.matmul(i.w).sum(1), `(x @ w).sum(1)`],
  ['layer_norm', (i) => wrap(aten('layer_norm').call(i.x.matmul(i.w).handle, [8])), `F.layer_norm(x @ w, [8])`],
  ['max_pool2d', (i) => wrap(aten('max_pool2d').call(wrap(aten('conv2d').call(i.img.handle, i.k.handle)).handle, [2, 2])), `F.max_pool2d(F.conv2d(img, k), 2)`],
  ['cdist', (i) => wrap(atenUntyped('cdist').call(i.x.handle, i.x.handle, 2) as Handle), `torch.cdist(x, x)`],
];

test('operators under CPU bfloat16 autocast match torch.autocast in dtype and value', { skip: oracleSkip() }, () => {
  scope(() => {
    manualSeed(7);
    const inputs: In = {
      x: randn([6, 8]),
      w: randn([8, 8]),
      img: randn([2, 3, 8, 8]),
      k: randn([4, 3, 3, 3]),
      b: randn([4]),
      c: randn([8]),
      labels: randint(0, 8, [6]),
    };
    const expected = torchOracle(
      `
      globals().update(inputs)
      with torch.autocast('cpu', dtype=torch.bfloat16):
      ${PROBES.map(([, , py], n) => `    outputs['p${n}'] = (${py}).reshape(-1)`).join('\n      ')}
      `,
      inputs,
    );
    const got = autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => PROBES.map(([, fn]) => fn(inputs).reshape([-1])));
    const seen: string[] = [];
    PROBES.forEach(([name], n) => {
      const e = expected[`p${n}`]!;
      assert.equal(got[n]!.dtype, e.dtype, `${name}: finegrain gives ${got[n]!.dtype}, PyTorch ${e.dtype}`);
      assertClose(got[n]!.float(), e.float(), { rtol: e.dtype === 'bfloat16' ? 1.6e-2 : 1e-3, atol: 1e-3, message: name });
      seen.push(`${name}: ${e.dtype}`);
    });
    // Both sorts of operator occur, so the comparison above has teeth.
    assert.ok(seen.some((s) => s.endsWith('bfloat16')) && seen.some((s) => s.endsWith('float32')));
  });
});

test('autocast switches off outside, nests, restores on throw, and gradients stay float32', () => {
  scope(() => {
    const x = randn([4, 8]);
    const w = randn([8, 3], { requiresGrad: true });
    assert.equal(isAutocastEnabled('cpu'), false);
    assert.equal(x.matmul(w).dtype, 'float32');
    const out = autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => {
      assert.equal(isAutocastEnabled('cpu'), true);
      assert.equal(x.matmul(w).dtype, 'bfloat16');
      const inner = autocast({ deviceType: 'cpu', enabled: false }, () => {
        assert.equal(isAutocastEnabled('cpu'), false);
        return x.matmul(w);
      });
      assert.equal(inner.dtype, 'float32', 'enabled: false runs in full precision');
      assert.equal(isAutocastEnabled('cpu'), true, 'leaving the inner block restores the outer one');
      autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => assert.equal(x.matmul(w).dtype, 'bfloat16'));
      assert.equal(isAutocastEnabled('cpu'), true);
      return x.matmul(w);
    });
    assert.equal(isAutocastEnabled('cpu'), false);
    assert.equal(x.matmul(w).dtype, 'float32');
    assert.throws(
      () =>
        autocast({ deviceType: 'cpu' }, () => {
          throw new Error('inside');
        }),
      /inside/,
    );
    assert.equal(isAutocastEnabled('cpu'), false, 'a throw inside autocast must not leave it on');
    // Backward outside autocast: the parameter's gradient is in its own dtype.
    out.float().pow(2).sum().backward();
    assert.equal(w.grad!.dtype, 'float32');
    assert.throws(() => autocast({ deviceType: 'cpu', dtype: 'float16' }, () => 0), /bfloat16 only/);
  });
});
