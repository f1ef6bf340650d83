// The optimiser base: groups, validation, zeroGrad, closures, memory ownership.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, SGD, isGradEnabled, liveTensors, randn, scope, tensor, zeros } from '../../src/index.js';

test('constructor validates parameters and hyperparameters like torch.optim', () => {
  scope(() => {
    const w = randn([3], { requiresGrad: true });
    assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
    assert.throws(() => new SGD([w.mul(2)], { lr: 0.1 }), /non-leaf/);
    assert.throws(() => new SGD([w, w], { lr: 0.1 }), /more than one group/);
    assert.throws(() => new SGD([{ params: [w] }, { params: [w] }], { lr: 0.1 }), /more than one group/);
    assert.throws(() => new SGD([w], { lr: -1 }), /invalid learning rate/);
    assert.throws(() => new SGD([w], { lr: 0.1, nesterov: true }), /Nesterov/);
    assert.throws(() => new SGD([w], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /Nesterov/);
    assert.throws(() => new AdamW([w], { betas: [1, 0.9] }), /beta parameter at index 0/);
    assert.throws(() => new AdamW([w], { eps: -1 }), /eps/);
    assert.throws(() => new AdamW([{ params: [w], weightDecay: -0.1 }]), /weightDecay/);
  });
});

test('groups take the defaults unless they override them; addParamGroup adds more', () => {
  scope(() => {
    const a = randn([2], { requiresGrad: true });
    const b = randn([2], { requiresGrad: true });
    const c = randn([2], { requiresGrad: true });
    const opt = new AdamW([{ params: [a] }, { params: [b], lr: 0.5, betas: [0.5, 0.6] }], { lr: 0.1 });
    assert.equal(opt.paramGroups[0]!.lr, 0.1);
    assert.deepEqual(opt.paramGroups[0]!.betas, [0.9, 0.999]);
    assert.equal(opt.paramGroups[1]!.lr, 0.5);
    assert.deepEqual(opt.paramGroups[1]!.betas, [0.5, 0.6]);
    opt.paramGroups[1]!.betas[0] = 0.7;
    assert.deepEqual(opt.defaults.betas, [0.9, 0.999], 'groups must not share the defaults array');
    opt.addParamGroup({ params: [c], weightDecay: 0 });
    assert.equal(opt.paramGroups.length, 3);
    assert.equal(opt.paramGroups[2]!.weightDecay, 0);
    assert.throws(() => opt.addParamGroup({ params: [a] }), /more than one group/);
  });
});

test('zeroGrad frees gradients by default, or zeroes them in place', () => {
  scope(() => {
    const w = randn([4], { requiresGrad: true });
    const opt = new SGD([w], { lr: 0.1 });
    w.sum().backward();
    assert.notEqual(w.grad, null);
    opt.zeroGrad(false);
    assert.deepEqual(w.grad!.toArray(), [0, 0, 0, 0]);
    opt.zeroGrad();
    assert.equal(w.grad, null);
  });
});

test('step updates only parameters with gradients, under noGrad, and runs a closure with grad on', () => {
  scope(() => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const frozen = tensor([5, 5], { requiresGrad: true });
    const opt = new SGD([w, frozen], { lr: 0.5, momentum: 0.9 });
    let sawGrad: boolean | undefined;
    const loss = opt.step(() => {
      sawGrad = isGradEnabled();
      const l = w.pow(2).sum().mul(0.5);
      l.backward();
      return l.item();
    });
    assert.equal(sawGrad, true);
    assert.equal(loss, 7);
    assert.deepEqual(w.toArray(), [0.5, 1, 1.5]); // w - 0.5 * w
    assert.deepEqual(frozen.toArray(), [5, 5]);
    assert.ok(w.isLeaf && w.requiresGrad, 'the update must not be recorded by autograd');
    assert.equal(opt.stateDict().state[1], undefined, 'no state for a parameter that never had a gradient');
  });
});

test('steps inside scopes leak nothing; state outlives the scopes until dispose()', () => {
  const before = liveTensors();
  const params = [randn([8, 4], { requiresGrad: true }), zeros([4], { requiresGrad: true })].map((t) => t.keep());
  const x = randn([16, 8]).keep();
  for (const opt of [new SGD(params, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.1 }), new AdamW(params, { amsgrad: true })]) {
    const step = () =>
      scope(() => {
        opt.zeroGrad();
        x.matmul(params[0]!).add(params[1]!).clamp(0).sum().backward();
        opt.step();
      });
    step(); // creates the state
    const afterFirst = liveTensors();
    for (let i = 0; i < 20; i++) step();
    assert.equal(liveTensors(), afterFirst, `${opt.constructor.name}: tensors leaked per step`);
    opt.zeroGrad();
    opt.dispose();
  }
  for (const t of [...params, x]) t.dispose();
  assert.equal(liveTensors(), before);
});
