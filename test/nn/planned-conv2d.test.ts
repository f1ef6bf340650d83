/**
 * Convolutions as oneDNN plans (src/nn/layers/planned-conv2d.ts, native/src/onednn-conv.cc)
 * and the pass that makes them (src/nn/plan-convolutions.ts): every geometry the zoo uses
 * (strides, padding including PyTorch's asymmetric 'same', dilation, groups, depthwise) and
 * every fused activation against aten::conv2d + the activation, in float32 (1e-5) and
 * bfloat16; one reordered weight copy shared by batch sizes; bad input, autograd and disposal;
 * and on whole zoo models, the planned copy's logits against the unplanned one's, with a
 * functional use of a convolution's output caught by the check and undone.
 */
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autocast } from '../../src/autograd/autocast.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { createModel } from '../../src/models/registry.js';
import { prepareForInference } from '../../src/models/prepare-for-inference.js';
import { hardswish, relu, relu6, silu } from '../../src/nn/functional/activation.js';
import { ReLU } from '../../src/nn/layers/activations.js';
import { Conv2d, type Conv2dLayerOptions } from '../../src/nn/layers/conv2d.js';
import { FusedActivationPass } from '../../src/nn/layers/fused-activation-pass.js';
import { PlannedConv2d, alreadyActivated, type ConvPostOp } from '../../src/nn/layers/planned-conv2d.js';
import { Module } from '../../src/nn/module.js';
import { planConvolutions } from '../../src/nn/plan-convolutions.js';
import { liveTensors } from '../../src/index.js';
import { manualSeed } from '../../src/runtime/settings.js';
import { holdTensorCache } from '../../src/runtime/tensor-cache.js';
import { randn } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../support/assert-close.js';

const skip = PlannedConv2d.available() ? false : 'the addon was built without oneDNN (Debian: libdnnl-dev, with a libtorch that links libdnnl)';

const reference = (x: Tensor, conv: Conv2d, post: ConvPostOp): Tensor => {
  const y = conv.forward(x);
  if (post === 'relu') return relu(y);
  if (post === 'relu6') return relu6(y);
  if (post === 'silu') return silu(y);
  if (post === 'hardswish') return hardswish(y);
  return y;
};

// [in, out, kernel, options, input side]: the geometries of the zoo's convolutions.
const CASES: [number, number, number | [number, number], Conv2dLayerOptions, number][] = [
  [3, 16, 3, { stride: 2, padding: 1 }, 17],
  [8, 16, 1, { bias: false }, 9],
  [16, 16, 3, { groups: 16, padding: 1 }, 12],
  [16, 16, 5, { groups: 16, stride: 2, padding: 2, bias: false }, 15],
  [8, 12, 3, { dilation: 2, padding: 2 }, 11],
  [8, 12, 3, { groups: 4, padding: 1 }, 10],
  [6, 8, 4, { padding: 'same' }, 9],
  [6, 8, [1, 7], { padding: [0, 3] }, 8],
  [6, 8, 5, { padding: 'valid' }, 9],
];
const POSTS: ConvPostOp[] = ['none', 'relu', 'relu6', 'silu', 'hardswish'];

// A libtorch that links the system libdnnl, set up as root with apt-get (CI, a fresh machine),
// must end with plans: scripts/setup.sh installs the headers. Once it skipped that step at random
// (SIGPIPE under pipefail) and every test below skipped with it, silently.
test('setup builds plans wherever libtorch links libdnnl and apt-get can install its headers', () => {
  const torch = JSON.parse(execFileSync(process.execPath, ['scripts/find-libtorch.mjs'], { encoding: 'utf8' })) as { lib: string };
  const links = /libdnnl\.so/.test(execFileSync('ldd', [`${torch.lib}/libtorch_cpu.so`], { encoding: 'utf8' }));
  let apt: boolean;
  try {
    execFileSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' });
    apt = process.getuid?.() === 0;
  } catch {
    apt = false;
  }
  if (!links || !apt || process.env.FINEGRAIN_ONEDNN === '0') return;
  assert.equal(PlannedConv2d.available(), true, 'libtorch links libdnnl, yet the addon has no plans: rerun scripts/setup.sh');
});

test('float32 plans equal aten::conv2d + the activation within 1e-5, for every geometry and post-op', { skip }, () => {
  manualSeed(3);
  CASES.forEach(([cin, cout, k, options, side], i) => {
    for (const post of POSTS) {
      const conv = new Conv2d(cin, cout, k, options);
      const planned = new PlannedConv2d(conv, post);
      noGrad(() =>
        scope(() => {
          // Scaled so that ReLU6's upper clip is reached too.
          const x = randn([2, cin, side, side]).mul(4);
          const want = reference(x, conv, post);
          const got = planned.forward(x);
          assert.deepEqual(got.shape, want.shape, `case ${i} ${post}: shape`);
          assert.equal(got.dtype, 'float32');
          assert.ok(got.isContiguous('channelsLast'), 'the output is channels-last');
          assertClose(got, want, { rtol: 1e-5, atol: 1e-6 });
        }),
      );
      planned.dispose();
    }
  });
});

test('bfloat16 plans agree with autocast aten::conv2d + the activation (ReLU6 exactly where it clips)', { skip }, () => {
  manualSeed(4);
  for (const [cin, cout, k, options, side] of CASES.slice(0, 4)) {
    for (const post of ['none', 'relu6', 'silu'] as const) {
      const conv = new Conv2d(cin, cout, k, options).to({ dtype: 'bfloat16' });
      const planned = new PlannedConv2d(conv, post);
      noGrad(() =>
        scope(() => {
          const x = randn([3, cin, side, side]).mul(3);
          const want = autocast({ deviceType: 'cpu' }, () => reference(x, conv, post)).float();
          const got = planned.forward(x);
          assert.equal(got.dtype, 'bfloat16');
          // One bf16 rounding of the output apart (plus the input's own rounding).
          assertClose(got.float(), want, { rtol: 2e-2, atol: 1e-2 });
          if (post === 'relu6') assert.ok(got.float().max().item() <= 6 && got.float().min().item() >= 0);
        }),
      );
      planned.dispose();
    }
  }
});

test('a plan keeps one primitive per input shape and one reordered weight copy for all of them', { skip }, () => {
  const conv = new Conv2d(16, 32, 3, { padding: 1 }).to({ dtype: 'bfloat16' });
  const planned = new PlannedConv2d(conv, 'relu');
  noGrad(() =>
    scope(() => {
      planned.forward(randn([1, 16, 14, 14]));
      const one = planned.planInfo();
      planned.forward(randn([4, 16, 14, 14]));
      planned.forward(randn([1, 16, 14, 14]));
      const two = planned.planInfo();
      assert.equal(one.variants, 1);
      assert.equal(two.variants, 2);
      assert.ok(one.weightBytes >= 32 * 16 * 9 * 2, `${one.weightBytes} bytes hold the weights`);
      assert.equal(two.weightBytes, one.weightBytes, 'both shapes share the reordered weights');
      assert.ok(Number.isInteger(two.scratchpadBytes) && two.scratchpadBytes >= 0, `scratchpad ${two.scratchpadBytes}`);
    }),
  );
  assert.equal(planned.weight, conv.weight, "the plan's layer shares the convolution's weight tensor");
  planned.dispose();
  assert.deepEqual(planned.planInfo(), { variants: 0, weightBytes: 0, holdsLayerWeight: false, scratchpadBytes: 0 }, 'dispose() frees the plan');
});

test('runs with a scratchpad from the tensor cache (reused, dirty) compute the same every time', { skip }, () => {
  const conv = new Conv2d(64, 96, 3, { padding: 1 }).to({ dtype: 'bfloat16' });
  const planned = new PlannedConv2d(conv, 'relu6');
  const release = holdTensorCache(64 * 2 ** 20);
  try {
    noGrad(() =>
      scope(() => {
        const x = randn([8, 64, 28, 28]);
        const first = planned.forward(x).float();
        planned.forward(randn([3, 64, 28, 28])); // another variant's run leaves the pad dirty
        const again = planned.forward(x).float();
        assert.equal(again.sub(first).abs().max().item(), 0);
        assert.equal(planned.planInfo().holdsLayerWeight, true);
      }),
    );
  } finally {
    release();
    planned.dispose();
  }
});

for (const dtype of ['float32', 'bfloat16'] as const) {
  test(`${dtype}: a plan that released its plain weight computes the same and gives the weight back exactly, in its layout`, { skip }, () => {
    const conv = new Conv2d(12, 24, 3, { padding: 1, groups: 2 }).to({ dtype, memoryFormat: 'channelsLast' });
    const original = scope(() => conv.weight.detach().clone().keep());
    const kept = new PlannedConv2d(conv, 'relu6');
    const released = new PlannedConv2d(conv, 'relu6', { releasePlainWeight: true });
    const cast = dtype === 'bfloat16' ? <T>(f: () => T) => autocast({ deviceType: 'cpu' }, f) : <T>(f: () => T) => f();
    noGrad(() =>
      scope(() => {
        const x1 = randn([1, 12, 10, 10]).to({ dtype });
        assert.ok(released.weight !== null && released.planInfo().holdsLayerWeight, 'held until the first run');
        const first = released.forward(x1);
        assert.equal(released.weight, null, 'the layer let go of its weight');
        assert.equal(released.planInfo().holdsLayerWeight, false, 'and so did the plan');
        assert.ok(conv.weight.isDisposed, 'the plain tensor is freed, not just dropped');
        assert.ok(!released.parameters().includes(conv.weight), 'and no longer a parameter');
        assertClose(first, kept.forward(x1), { rtol: 0, atol: 0 });
        // A new shape builds its primitive from the reordered copy, not from the freed tensor.
        const x5 = randn([5, 12, 7, 9]).to({ dtype });
        assertClose(released.forward(x5), kept.forward(x5), { rtol: 0, atol: 0 });
        assert.equal(released.planInfo().variants, 2);
        const back = released.plainWeight();
        assert.equal(back.dtype, dtype);
        assert.deepEqual(back.shape, original.shape);
        assert.ok(back.isContiguous('channelsLast') && !back.isContiguous(), 'given back channels-last, as it was given');
        assertClose(back, original, { rtol: 0, atol: 0 });
      }),
    );
    // The autograd route (Grad-CAM) rebuilds the weight for its aten::conv2d.
    scope(() => {
      const x = randn([2, 12, 6, 6]).requiresGrad_(true);
      const y = cast(() => released.forward(x));
      y.float().sum().backward();
      assert.ok(x.grad, 'the gradient reaches the input');
      assertClose(
        y.detach().float(),
        noGrad(() => cast(() => kept.forward(x.detach())).float()),
        { rtol: 0, atol: dtype === 'float32' ? 1e-5 : 5e-2 },
      );
    });
    kept.dispose();
    released.dispose();
    original.dispose();
  });
}

test('bad input gets a clear error; an input that requires grad takes the autograd route; a released plan refuses', { skip }, () => {
  const conv = new Conv2d(4, 6, 3, { padding: 1 });
  const planned = new PlannedConv2d(conv, 'relu');
  noGrad(() =>
    scope(() => {
      assert.throws(() => planned.forward(randn([1, 5, 8, 8])), /5 channels, the layer expects 4/);
      assert.throws(() => planned.forward(randn([4, 8, 8])), /4-D/);
    }),
  );
  scope(() => {
    const x = randn([2, 4, 8, 8]).requiresGrad_(true);
    const y = planned.forward(x);
    y.sum().backward();
    assert.ok(x.grad, 'the gradient reaches the input');
    const want = noGrad(() => reference(x.detach(), conv, 'relu'));
    assertClose(y.detach(), want, { rtol: 1e-6 });
  });
  assert.throws(() => new PlannedConv2d(new Conv2d(4, 4, 3, { padding: 'same', stride: 1 }), 'gelu' as ConvPostOp), /post-op/);
  planned.releasePlan();
  assert.throws(() => noGrad(() => planned.forward(randn([1, 4, 8, 8]))), /disposed/);
  planned.dispose();
});

function logits(model: Module, x: Tensor): Tensor {
  return noGrad(() => scope(() => autocast({ deviceType: 'cpu' }, () => model.forward(x).float()).keep()));
}

for (const [name, fused] of [
  ['mobilenet_v2', 35],
  ['efficientnet_b0', null],
  ['resnet18', 9],
  ['resnet50', 33],
  ['regnet_y_400mf', 49],
] as const) {
  test(`${name}: the planned bf16 copy gives the unplanned copy's logits; every convolution is planned`, { skip }, () => {
    manualSeed(5);
    const a = createModel(name, { numClasses: 10 }).eval();
    manualSeed(5);
    const b = createModel(name, { numClasses: 10 }).eval();
    const x = randn([3, 3, 64, 64]);
    try {
      const plain = prepareForInference(a, { precision: 'bfloat16', inputSize: 64, channelsLast: true, convPlans: false });
      const report = prepareForInference(b, { precision: 'bfloat16', inputSize: 64, channelsLast: true });
      assert.equal(plain.plannedConvolutions, 0);
      const convs = a.modules().filter((m) => m instanceof Conv2d).length;
      assert.equal(report.plannedConvolutions, convs, `${report.plannedConvolutions} of ${convs} planned`);
      assert.equal(b.modules().filter((m) => m instanceof Conv2d).length, 0);
      if (fused !== null) assert.equal(report.fusedActivations, fused);
      const want = logits(a, x);
      const got = logits(b, x);
      const err = assertClose(got, want, { rtol: 3e-2, atol: 1e-3 });
      console.log(`${name}: ${report.plannedConvolutions} planned, ${report.fusedActivations} activations fused, max |Δlogit| ${err.toExponential(2)}`);
      want.dispose();
      got.dispose();
    } finally {
      x.dispose();
      a.dispose();
      b.dispose();
    }
  });
}

/** conv → a ReLU that is not in place, and the convolution's output also used outside any module. */
class ReusesConvOutput extends Module {
  declare readonly conv: Conv2d;
  declare readonly act: ReLU;
  constructor() {
    super();
    this.registerModule('conv', new Conv2d(3, 4, 3, { padding: 1 }));
    this.registerModule('act', new ReLU());
  }
  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x);
    return scope(() => this.act.forward(y).add(y).mean([2, 3]));
  }
}

test('a fusion the trace cannot see to be wrong is caught by the logits check and undone', { skip }, () => {
  const m = new ReusesConvOutput().eval();
  const x = randn([2, 3, 8, 8]);
  const before = noGrad(() => m.forward(x));
  assert.deepEqual(planConvolutions(m, x), { plannedConvolutions: 0, fusedActivations: 0 });
  assert.ok(m.conv instanceof Conv2d && m.act instanceof ReLU, 'the layers are back in place');
  const after = noGrad(() => m.forward(x));
  assertClose(after, before, { rtol: 1e-6 });
  for (const t of [x, before, after]) t.dispose();
  const training = createModel('resnet18', { numClasses: 3 });
  assert.throws(() => planConvolutions(training, randn([1, 3, 32, 32])), /training mode/);
  training.dispose();
  m.dispose();
});

/** A residual block's tail: conv, the shortcut added in place, then an in-place ReLU. */
class AddsBeforeActivation extends Module {
  declare readonly conv: Conv2d;
  declare readonly act: ReLU;
  constructor() {
    super();
    this.registerModule('conv', new Conv2d(3, 3, 3, { padding: 1 }));
    this.registerModule('act', new ReLU({ inplace: true }));
  }
  forward(x: Tensor): Tensor {
    return this.act.forward(this.conv.forward(x).add_(x));
  }
}

test("an in-place change between a convolution and its activation (a residual's add_) keeps the activation apart", { skip }, () => {
  const m = new AddsBeforeActivation().eval();
  const x = randn([2, 3, 8, 8]);
  const before = noGrad(() => m.forward(x));
  // The activation receives the convolution's own output tensor, but changed by add_: fusing
  // would compute relu(conv) + x instead of relu(conv + x).
  assert.deepEqual(planConvolutions(m, x), { plannedConvolutions: 1, fusedActivations: 0 });
  assert.ok(m.act instanceof ReLU, 'the activation stays');
  const after = noGrad(() => m.forward(x));
  assertClose(after, before, { rtol: 1e-5 });
  for (const t of [x, before, after]) t.dispose();
  m.dispose();
});

/** One ReLU module serving two uses, as resnet's blocks do: after a convolution, and after an add. */
class SharedActivation extends Module {
  declare readonly conv1: Conv2d;
  declare readonly conv2: Conv2d;
  declare readonly relu: Module;
  constructor() {
    super();
    this.registerModule('conv1', new Conv2d(3, 3, 3, { padding: 1 }));
    this.registerModule('conv2', new Conv2d(3, 3, 3, { padding: 1 }));
    this.registerModule('relu', new ReLU({ inplace: true }));
  }
  forward(x: Tensor): Tensor {
    return scope(() => {
      const h = this.relu.forward(this.conv1.forward(x));
      return this.relu.forward(this.conv2.forward(h).add(h));
    });
  }
}

test('a shared activation is fused where it follows a convolution and still applied after the add', { skip }, () => {
  const m = new SharedActivation().eval();
  const x = randn([2, 3, 8, 8]);
  const before = noGrad(() => m.forward(x));
  assert.deepEqual(planConvolutions(m, x), { plannedConvolutions: 2, fusedActivations: 1 });
  assert.ok(m.relu instanceof FusedActivationPass, 'the shared ReLU passes fused outputs through');
  const after = noGrad(() => m.forward(x));
  assertClose(after, before, { rtol: 1e-5 });
  // A marked output changed in place is activated again, not passed through.
  const conv1 = m.conv1 as unknown as PlannedConv2d;
  noGrad(() =>
    scope(() => {
      const y = conv1.forward(x);
      assert.ok(alreadyActivated(y, 'relu'));
      y.sub_(1);
      assert.ok(!alreadyActivated(y, 'relu'), 'changed in place: no longer known to be activated');
      assert.ok(m.relu.forward(y).min().item() >= 0);
    }),
  );
  for (const t of [x, before, after]) t.dispose();
  m.dispose();
});

test('preparing an inference copy (fold, plans, their logits checks) leaves no tensor behind', { skip }, () => {
  for (const precision of ['bfloat16', 'float32'] as const) {
    const live = liveTensors();
    const model = createModel('mobilenet_v2', { numClasses: 10 }).eval();
    prepareForInference(model, { precision, inputSize: 32, channelsLast: true });
    model.dispose();
    // The checks' reductions once ran outside any scope: two orphans a check, freed by GC only.
    assert.ok(liveTensors() <= live, `${precision}: ${liveTensors() - live} tensors left`);
  }
});
