// Autograd through the native shim: recording, backward, accumulation, grad modes,
// non-leaf gradients, higher-order derivatives and in-place updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backward, enableGrad, grad, isGradEnabled, liveTensors, manualSeed, noGrad, randn, scope, setGradEnabled, tensor } from '../../src/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { assertClose } from '../support/assert-close.js';

test('requiresGrad propagates through operations; leaves and non-leaves', () => {
  scope(() => {
    const x = tensor([1, 2, 3]);
    assert.equal(x.requiresGrad, false);
    const w = tensor([0.5, -1, 2], { requiresGrad: true });
    assert.ok(w.requiresGrad && w.isLeaf);
    const y = x.mul(w);
    assert.ok(y.requiresGrad);
    assert.equal(y.isLeaf, false);
    assert.equal(x.add(1).requiresGrad, false);
    x.requiresGrad_();
    assert.ok(x.requiresGrad && x.isLeaf);
  });
});

test('requiresGrad_(false) on a non-leaf throws as in PyTorch', () => {
  scope(() => {
    const y = tensor([1, 2], { requiresGrad: true }).mul(2);
    assert.throws(() => y.requiresGrad_(false), /leaf/);
  });
});

test('backward computes gradients of a small network as PyTorch does', { skip: oracleSkip() }, () => {
  scope(() => {
    manualSeed(1);
    const inputs = { x: randn([6, 4]), w1: randn([4, 5]), b1: randn([5]), w2: randn([5, 3]) };
    const expected = torchOracle(
      `
      x = inputs['x']
      w1, b1, w2 = (inputs[k].clone().requires_grad_() for k in ('w1', 'b1', 'w2'))
      h = (x @ w1 + b1).clamp(min=0)
      loss = (h @ w2).logsumexp(1).mean() + (w1 * w1).sum() * 0.01
      loss.backward()
      outputs.update(w1=w1.grad, b1=b1.grad, w2=w2.grad)
      `,
      inputs,
    );
    const w1 = inputs.w1.clone().requiresGrad_();
    const b1 = inputs.b1.clone().requiresGrad_();
    const w2 = inputs.w2.clone().requiresGrad_();
    const h = inputs.x.matmul(w1).add(b1).clamp(0);
    h.matmul(w2).logsumexp(1).mean().add(w1.mul(w1).sum().mul(0.01)).backward();
    assertClose(w1.grad!, expected.w1!, { rtol: 1e-5, message: 'w1.grad' });
    assertClose(b1.grad!, expected.b1!, { rtol: 1e-5, message: 'b1.grad' });
    assertClose(w2.grad!, expected.w2!, { rtol: 1e-5, message: 'w2.grad' });
  });
});

test('gradients accumulate across backward calls until cleared', () => {
  scope(() => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const loss = w.pow(2).sum(); // d/dw = 2w
    loss.backward(null, { retainGraph: true });
    assert.deepEqual(w.grad!.toArray(), [2, 4, 6]);
    loss.backward();
    assert.deepEqual(w.grad!.toArray(), [4, 8, 12]);
    // The graph was freed by the second call: a third is an error, not a crash.
    assert.throws(() => loss.backward(), /backward through the graph a second time/);
    w.mul(3).sum().backward(); // a fresh graph accumulates too
    assert.deepEqual(w.grad!.toArray(), [7, 11, 15]);
    w.grad = null;
    assert.equal(w.grad, null);
  });
});

test('backward of non-scalars needs a gradient; several outputs at once', () => {
  scope(() => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = w.mul(w);
    assert.throws(() => y.backward(), /only for scalar outputs/);
    y.backward(tensor([1, 10]));
    assert.deepEqual(w.grad!.toArray(), [2, 40]);
    w.grad = null;
    backward([w.sum(), w.mul(2).sum()]);
    assert.deepEqual(w.grad!.toArray(), [3, 3]);
  });
});

test('detach cuts the graph but shares the data', () => {
  scope(() => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = w.mul(2);
    const d = y.detach();
    assert.equal(d.requiresGrad, false);
    assert.ok(d.sharesStorageWith(y));
    // Through the detached branch no gradient flows: d/dw (y + d) = 2, not 4.
    y.add(d).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [2, 2]);
    const z = w.mul(1);
    z.detach_();
    assert.equal(z.requiresGrad, false);
  });
});

test('noGrad and enableGrad nest and restore the previous mode, also on throw', () => {
  scope(() => {
    const w = tensor([1], { requiresGrad: true });
    assert.equal(isGradEnabled(), true);
    noGrad(() => {
      assert.equal(isGradEnabled(), false);
      assert.equal(w.mul(2).requiresGrad, false);
      enableGrad(() => {
        assert.equal(isGradEnabled(), true);
        assert.equal(w.mul(2).requiresGrad, true);
        noGrad(() => assert.equal(isGradEnabled(), false));
        assert.equal(isGradEnabled(), true);
      });
      assert.equal(isGradEnabled(), false);
      assert.throws(
        () =>
          enableGrad(() => {
            throw new Error('boom');
          }),
        /boom/,
      );
      assert.equal(isGradEnabled(), false);
    });
    assert.equal(isGradEnabled(), true);
    assert.throws(
      () =>
        noGrad(() => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(isGradEnabled(), true);
    assert.equal(setGradEnabled(false), true);
    assert.equal(w.mul(2).requiresGrad, false);
    assert.equal(setGradEnabled(true), false);
  });
});

test('retainGrad keeps the gradient of a non-leaf', () => {
  scope(() => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const h = w.mul(2);
    const k = w.mul(3);
    h.retainGrad();
    h.mul(h).add(k).sum().backward(); // d/dh = 2h
    assert.deepEqual(h.grad!.toArray(), [4, 8, 12]);
    assert.equal(k.grad, null, 'non-leaves keep no gradient unless asked');
    assert.deepEqual(w.grad!.toArray(), [11, 19, 27]); // 2 * 2h + 3
  });
});

test('grad() with createGraph gives second derivatives; allowUnused', () => {
  scope(() => {
    const x = tensor([1, 2, -3], { requiresGrad: true });
    const y = x.pow(3).sum();
    const [dy] = grad([y], [x], { createGraph: true });
    assert.deepEqual(dy!.toArray(), [3, 12, 27]); // 3x^2
    assert.ok(dy!.requiresGrad, 'createGraph records the gradient computation');
    const [d2y] = grad([dy!.sum()], [x]);
    assert.deepEqual(d2y!.toArray(), [6, 12, -18]); // 6x
    assert.equal(x.grad, null, 'grad() does not touch .grad');

    const unused = tensor([1], { requiresGrad: true });
    assert.throws(() => grad([x.sum()], [unused]), /not have been used/);
    const [none] = grad([x.sum()], [unused], { allowUnused: true });
    assert.equal(none, null);
    // A gradient penalty: d/dx of |dy/dx|^2 through the first derivative.
    const [g1] = grad([x.pow(2).sum()], [x], { createGraph: true });
    g1!.pow(2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [8, 16, -24]); // d/dx (2x)^2 = 8x
  });
});

test('in-place parameter updates: allowed under noGrad, refused while recording', () => {
  scope(() => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.mul(w).sum().backward();
    const g = w.grad!;
    noGrad(() => w.sub_(g.mul(0.25)));
    assert.deepEqual(w.toArray(), [0.5, 1]);
    assert.ok(w.isLeaf && w.requiresGrad);
    assert.throws(() => w.sub_(1), /leaf Variable that requires grad is being used in an in-place operation/);
    assert.deepEqual(w.toArray(), [0.5, 1], 'a refused in-place op changes nothing');
    // A non-leaf modified in place after use makes backward fail cleanly (version counter).
    const a = tensor([1, 2], { requiresGrad: true });
    const e = a.mul(1);
    const sq = e.mul(e);
    e.add_(1);
    assert.throws(() => sq.sum().backward(), /modified by an inplace operation/);
  });
});

test('a training-like loop frees every graph (no tensors left behind)', () => {
  const w = randn([16, 8], { requiresGrad: true }).keep();
  const before = liveTensors();
  for (let i = 0; i < 50; i++) {
    scope(() => {
      const x = randn([4, 16]);
      x.matmul(w).pow(2).mean().backward();
      noGrad(() => w.sub_(w.grad!.mul(0.01)));
      w.grad = null;
    });
  }
  assert.equal(liveTensors(), before);
  w.dispose();
});
