// Tensor-tensor add/sub/mul/div skip the dispatcher's autograd layer when neither operand
// requires grad (native/src/fast.cc). The results must be the generic operator's, and a
// graph must still be recorded as soon as one operand requires grad.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atenUntyped } from '../../src/native/aten.js';
import type { Handle } from '../../src/native/binding.js';
import { assertClose } from '../support/assert-close.js';
import { noGrad, randn, scope, wrap } from '../../src/index.js';

const GENERIC = { add: 'add.Tensor', sub: 'sub.Tensor', mul: 'mul.Tensor', div: 'div.Tensor' } as const;

test('fast-path arithmetic equals the generic operators, with broadcasting', () => {
  scope(() => {
    const a = randn([3, 4]);
    const b = randn([4])
      .abs()
      .add(randn([4]).abs())
      .add(randn([1]).abs()); // no zeros for div
    for (const [op, name] of Object.entries(GENERIC) as [keyof typeof GENERIC, string][]) {
      const fast = a[op](b);
      const generic = wrap(atenUntyped(name).call(a.handle, b.handle, ...(op === 'add' || op === 'sub' ? [1] : [])) as Handle);
      assert.deepEqual(fast.toArray(), generic.toArray(), op);
      assert.equal(fast.requiresGrad, false);
    }
  });
});

test('fast-path arithmetic records the graph when either operand requires grad', () => {
  scope(() => {
    const w = randn([4], { requiresGrad: true });
    const x = randn([4]);
    const y = x.mul(w).add(x).sub(w).div(x.abs().add(1)); // w on the right and on the left
    assert.equal(y.requiresGrad, true);
    y.sum().backward();
    const expected = noGrad(() => x.sub(1).div(x.abs().add(1)));
    assertClose(w.grad!, expected, { atol: 1e-6, rtol: 1e-6 });
    const z = x.add(x); // no grad anywhere: nothing recorded
    assert.equal(z.requiresGrad, false);
  });
});
