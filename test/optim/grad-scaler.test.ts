// GradScaler's logic on CPU, with infs/NaNs injected into the gradients: scaling, unscaling,
// step skipping, backoff and growth as torch.cuda.amp.GradScaler (PyTorch 1.13) does them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GradScaler, SGD, clipGradNorm_, liveTensors, randn, scope, tensor, type Tensor } from '../../src/index.js';

function problem() {
  const w = tensor(
    [
      [0.5, -1],
      [2, 0.25],
    ],
    { requiresGrad: true },
  );
  const x = tensor([
    [1, 2],
    [3, -4],
    [0.5, 0.5],
  ]);
  const lossOf = () => x.matmul(w).pow(2).mean();
  return { w, lossOf };
}

test('scale multiplies the loss; step unscales so the update equals an unscaled step exactly', () => {
  scope(() => {
    const plain = problem();
    const optP = new SGD([plain.w], { lr: 0.1, momentum: 0.9 });
    const scaled = problem();
    const optS = new SGD([scaled.w], { lr: 0.1, momentum: 0.9 });
    const scaler = new GradScaler({ initScale: 1024 });
    for (let i = 0; i < 3; i++) {
      scope(() => {
        optP.zeroGrad();
        plain.lossOf().backward();
        optP.step();

        optS.zeroGrad();
        const loss = scaled.lossOf();
        const s = scaler.scale(loss);
        assert.equal(s.item(), Math.fround(loss.item() * 1024));
        s.backward();
        assert.ok(scaled.w.grad!.div(1024).equal(plain.w.grad!), 'backward of the scaled loss gives scaled gradients');
        assert.equal(scaler.step(optS), true);
        scaler.update();
      });
    }
    // Powers of two scale exactly, so the two runs agree bit for bit.
    assert.ok(plain.w.equal(scaled.w), `scaled run differs: ${plain.w} vs ${scaled.w}`);
    assert.equal(scaler.getScale(), 1024);
    assert.equal(scaler.getGrowthTracker(), 3);
    scaler.dispose();
  });
});

test('an inf or NaN gradient skips the step and backs the scale off; clean steps grow it', () => {
  scope(() => {
    const { w, lossOf } = problem();
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
    const scaler = new GradScaler({ initScale: 256, growthFactor: 4, backoffFactor: 0.25, growthInterval: 3 });
    const iteration = (poison?: number) =>
      scope(() => {
        opt.zeroGrad();
        scaler.scale(lossOf()).backward();
        if (poison !== undefined) {
          const g = w.grad!;
          g.select(0, 1).select(0, 0).fill_(poison); // one bad element is enough
        }
        const before = w.clone();
        const stepped = scaler.step(opt);
        assert.equal(stepped, poison === undefined);
        assert.equal(w.equal(before), !stepped, stepped ? 'a clean step must move the parameters' : 'a skipped step must not touch the parameters');
        scaler.update();
      });
    const log: [number, number][] = [];
    const record = () => log.push([scaler.getScale(), scaler.getGrowthTracker()]);
    iteration(Infinity);
    record();
    assert.equal(opt.stateDict().state[0], undefined, 'a skipped step creates no optimiser state');
    iteration();
    record();
    iteration();
    record();
    iteration(NaN);
    record();
    iteration();
    record();
    iteration();
    record();
    iteration();
    record();
    iteration(-Infinity);
    record();
    assert.deepEqual(log, [
      [64, 0], // backoff x0.25
      [64, 1],
      [64, 2],
      [16, 0], // NaN: backoff, tracker reset
      [16, 1],
      [16, 2],
      [64, 0], // third clean step in a row: growth x4
      [16, 0],
    ]);
    scaler.dispose();
  });
});

test('unscale_ lets gradients be clipped at their true size; misuse throws as in PyTorch', () => {
  scope(() => {
    const { w, lossOf } = problem();
    const opt = new SGD([w], { lr: 0.1 });
    const scaler = new GradScaler();
    assert.throws(() => scaler.step(opt), /before any scale\(\)/);
    scaler.scale(lossOf()).backward();
    const trueGrad = scope(() => w.grad!.div(2 ** 16));
    scaler.unscale_(opt);
    assert.ok(w.grad!.equal(trueGrad));
    assert.throws(() => scaler.unscale_(opt), /already been called/);
    const norm = clipGradNorm_([w], 0.5).item();
    assert.ok(Math.abs(norm - trueGrad.norm().item()) < 1e-5);
    const clipped = w.grad!.clone();
    assert.equal(scaler.step(opt), true); // must not unscale again
    assert.ok(w.grad!.equal(clipped));
    assert.throws(() => scaler.step(opt), /already been called since the last update/);
    assert.throws(() => scaler.unscale_(opt), /after step/);
    scaler.update();
    assert.throws(() => scaler.update(), /no inf checks/);
    scaler.update(8); // an explicit new scale needs no checks
    assert.equal(scaler.getScale(), 8);
    scaler.dispose();
  });
});

test('two optimisers: an inf in one skips only that one, and the scale backs off', () => {
  scope(() => {
    const a = problem();
    const b = problem();
    const optA = new SGD([a.w], { lr: 0.1 });
    const optB = new SGD([b.w], { lr: 0.1 });
    const scaler = new GradScaler({ initScale: 32 });
    scaler.scale([a.lossOf(), b.lossOf()]).forEach((l: Tensor) => l.backward());
    a.w.grad!.select(0, 0).fill_(NaN);
    const b0 = b.w.clone();
    assert.equal(scaler.step(optA), false);
    assert.equal(scaler.step(optB), true);
    assert.ok(!b.w.equal(b0));
    scaler.update();
    assert.equal(scaler.getScale(), 16);
    scaler.dispose();
  });
});

test('growth stops at float32 range; float16 gradients are refused; disabled is a pass-through', () => {
  scope(() => {
    const { w, lossOf } = problem();
    const opt = new SGD([w], { lr: 0 });
    const scaler = new GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
    opt.zeroGrad();
    scaler.scale(lossOf().mul(2 ** -127)).backward(); // finite gradients at the largest scale
    scaler.step(opt);
    scaler.update();
    assert.equal(scaler.getScale(), 2 ** 127, 'scale must not grow to inf');
    scaler.dispose();

    const half = tensor([1, 2], { requiresGrad: true });
    half.grad = tensor([1, 2], { dtype: 'float16' });
    const opt16 = new SGD([half], { lr: 0.1 });
    const s16 = new GradScaler();
    s16.scale(tensor(1));
    assert.throws(() => s16.unscale_(opt16), /float16 gradients/);
    s16.dispose();

    const off = new GradScaler({ enabled: false });
    const l = lossOf();
    assert.equal(off.scale(l), l);
    opt.zeroGrad();
    l.backward();
    assert.equal(off.step(opt), true);
    off.update();
    assert.equal(off.getScale(), 1);
    assert.deepEqual(off.stateDict(), {});
  });
});

test('stateDict round trip, and no tensors leak across iterations', () => {
  const { w, lossOf } = problem(); // outside any scope: lives until disposed
  const opt = new SGD([w], { lr: 0.01 });
  const scaler = new GradScaler({ initScale: 512, growthInterval: 4 });
  const iteration = () =>
    scope(() => {
      opt.zeroGrad();
      scaler.scale(lossOf()).backward();
      scaler.step(opt);
      scaler.update();
    });
  iteration();
  const live = liveTensors();
  for (let i = 0; i < 6; i++) iteration();
  assert.equal(liveTensors(), live, 'GradScaler leaked tensors');
  const sd = scaler.stateDict();
  assert.deepEqual(sd, { scale: 1024, growthFactor: 2, backoffFactor: 0.5, growthInterval: 4, growthTracker: 3 });
  const restored = new GradScaler();
  restored.loadStateDict(JSON.parse(JSON.stringify(sd)));
  assert.equal(restored.getScale(), 1024);
  assert.equal(restored.getGrowthTracker(), 3);
  scope(() => {
    opt.zeroGrad();
    restored.scale(lossOf()).backward();
    restored.step(opt);
    restored.update();
  });
  assert.equal(restored.getScale(), 2048, 'the restored tracker counts towards growth');
  assert.throws(() => restored.loadStateDict({}), /empty/);
  for (const s of [scaler, restored]) s.dispose();
  opt.zeroGrad();
  w.dispose();
});

test('unscale_ divides random gradients exactly by a power-of-two scale', () => {
  scope(() => {
    const w = randn([5, 3], { requiresGrad: true });
    const x = randn([7, 5]);
    const scaler = new GradScaler({ initScale: 2 ** 10 });
    const opt = new SGD([w], { lr: 0 });
    scaler.scale(x.matmul(w).sum()).backward();
    const scaledGrad = w.grad!.clone();
    scaler.unscale_(opt);
    assert.ok(w.grad!.mul(2 ** 10).equal(scaledGrad));
    scaler.dispose();
  });
});
