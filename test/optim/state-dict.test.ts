// Resuming from an optimiser state dict: 5 steps, save (through bytes and JSON, as a
// checkpoint on disk would), load into a fresh optimiser, 5 more steps must equal 10
// uninterrupted steps bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, SGD, Tensor, fromTypedArray, liveTensors, manualSeed, randn, scope, type Optimizer, type OptimizerStateDict } from '../../src/index.js';

type Make = (params: Tensor[]) => Optimizer<any>;

const CASES: [string, Make][] = [
  ['SGD momentum', (p) => new SGD([{ params: [p[0]!] }, { params: [p[1]!, p[2]!], lr: 0.02 }], { lr: 0.05, momentum: 0.9, weightDecay: 1e-3 })],
  ['SGD nesterov', (p) => new SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.01, weightDecay: 0.05 })],
  [
    'AdamW amsgrad, groups',
    (p) =>
      new AdamW(
        [
          { params: [p[0]!, p[1]!], betas: [0.8, 0.95] },
          { params: [p[2]!], weightDecay: 0 },
        ],
        { lr: 0.01, amsgrad: true },
      ),
  ],
];

/** A small MLP-like problem with three parameters; the third gets no gradient every third step. */
function makeProblem() {
  manualSeed(11);
  return {
    x: randn([32, 6]).keep(),
    y: randn([32, 2]).keep(),
    init: [randn([6, 8]).mul(0.3), randn([8]).mul(0.1), randn([8, 2]).mul(0.3)].map((t) => t.keep()),
  };
}
type Problem = ReturnType<typeof makeProblem>;

function trainSteps(opt: Optimizer<any>, params: Tensor[], prob: Problem, from: number, to: number): void {
  const [w1, b1, w2] = params as [Tensor, Tensor, Tensor];
  for (let i = from; i < to; i++) {
    scope(() => {
      opt.zeroGrad();
      const h = prob.x.matmul(w1).add(b1).clamp(0);
      // Every third step the head is frozen: its grad stays null and its state (step count) lags.
      const out = i % 3 === 2 ? h.matmul(w2.detach()) : h.matmul(w2);
      out.sub(prob.y).pow(2).mean().backward();
      opt.step();
    });
  }
}

/** What a checkpoint on disk keeps: raw bytes for tensors, JSON for everything else. */
function throughCheckpoint(sd: OptimizerStateDict): OptimizerStateDict {
  const tensors = new Map<string, { bytes: Uint8Array; shape: number[]; dtype: Tensor['dtype'] }>();
  const json = JSON.stringify(sd, (key, value) => {
    if (value instanceof Tensor) {
      const id = `tensor:${tensors.size}`;
      const data = value.toTypedArray();
      tensors.set(id, { bytes: new Uint8Array(data.buffer.slice(0)), shape: value.shape, dtype: value.dtype });
      return id;
    }
    return value;
  });
  return JSON.parse(json, (key, value) => {
    if (typeof value === 'string' && tensors.has(value)) {
      const t = tensors.get(value)!;
      return fromTypedArray(t.bytes, t.shape, { dtype: t.dtype });
    }
    return value;
  });
}

for (const [name, make] of CASES) {
  test(`${name}: 5 steps + stateDict/loadStateDict + 5 steps == 10 steps, bit for bit`, () => {
    const prob = makeProblem();
    const before = liveTensors();
    scope(() => {
      // Uninterrupted.
      const ref = prob.init.map((t) => t.clone().requiresGrad_());
      const refOpt = make(ref);
      trainSteps(refOpt, ref, prob, 0, 10);

      // Interrupted: the first process runs 5 steps and saves...
      const a = prob.init.map((t) => t.clone().requiresGrad_());
      const optA = make(a);
      trainSteps(optA, a, prob, 0, 5);
      const saved = scope(() => throughCheckpoint(optA.stateDict()));
      const savedParams = a.map((t) => t.detach().clone());
      optA.dispose();
      // ...a second process restores parameters and optimiser state, then runs 5 more.
      const b = savedParams.map((t) => t.clone().requiresGrad_());
      const optB = make(b);
      optB.loadStateDict(saved);
      for (const t of Object.values(saved.state).flatMap((s) => Object.values(s))) if (t instanceof Tensor) t.dispose();
      trainSteps(optB, b, prob, 5, 10);

      ref.forEach((r, i) => assert.ok(r.equal(b[i]!), `${name}: parameter ${i} differs after resuming (max diff ${r.sub(b[i]!).abs().max().item()})`));
      // Without the state the run would differ: the check above has teeth.
      const c = savedParams.map((t) => t.clone().requiresGrad_());
      const optC = make(c);
      trainSteps(optC, c, prob, 5, 10);
      assert.ok(!ref[0]!.equal(c[0]!), `${name}: resuming without state gave the same parameters`);
      for (const o of [refOpt, optB, optC]) o.dispose();
    });
    assert.equal(liveTensors(), before, 'tensors leaked');
    prob.init.forEach((t) => t.dispose());
    prob.x.dispose();
    prob.y.dispose();
  });
}

test('stateDict is plain data: hyperparameters as JSON, parameter indices, step counts', () => {
  scope(() => {
    const prob = makeProblem();
    const p = prob.init.map((t) => t.clone().requiresGrad_());
    const opt = new AdamW([{ params: [p[0]!] }, { params: [p[1]!, p[2]!], lr: 0.5 }], { lr: 0.1, amsgrad: true });
    trainSteps(opt, p, prob, 0, 3);
    opt.paramGroups[0]!.lr = 0.025; // as a schedule would
    const sd = opt.stateDict();
    assert.deepEqual(sd.paramGroups, [
      { lr: 0.025, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: true, maximize: false, params: [0] },
      { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: true, maximize: false, params: [1, 2] },
    ]);
    assert.deepEqual(Object.keys(sd.state), ['0', '1', '2']);
    assert.equal(sd.state[0]!.step, 3);
    assert.equal(sd.state[2]!.step, 2); // frozen on step index 2
    assert.deepEqual(Object.keys(sd.state[0]!).sort(), ['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
    assert.deepEqual((sd.state[0]!.expAvg as Tensor).shape, [6, 8]);

    // Loading restores the hyperparameters too, and validates what it loads.
    const q = prob.init.map((t) => t.clone().requiresGrad_());
    const opt2 = new AdamW([{ params: [q[0]!] }, { params: [q[1]!, q[2]!] }], { lr: 1 });
    opt2.loadStateDict(sd);
    assert.equal(opt2.paramGroups[0]!.lr, 0.025);
    assert.equal(opt2.paramGroups[1]!.lr, 0.5);
    // Mutating the loaded copy's source does not touch the optimiser (load copies).
    (sd.state[0]!.expAvg as Tensor).fill_(123);
    assert.ok((opt2.stateDict().state[0]!.expAvg as Tensor).max().item() < 100);

    const wrongGroups = new AdamW(q, { lr: 1 });
    assert.throws(() => wrongGroups.loadStateDict(sd), /2 parameter groups, the optimiser 1/);
    const wrongShape = new AdamW([{ params: [q[1]!] }, { params: [q[0]!, q[2]!] }], { lr: 1 });
    const live = liveTensors();
    assert.throws(() => wrongShape.loadStateDict(sd), /has shape \[6,8\], the parameter \[8\]/);
    assert.equal(liveTensors(), live, 'a failed load must free what it copied');
    assert.equal(wrongShape.paramGroups[0]!.lr, 1, 'a failed load must change nothing');
    for (const o of [opt, opt2, wrongGroups, wrongShape]) o.dispose();
    prob.init.forEach((t) => t.dispose());
    prob.x.dispose();
    prob.y.dispose();
  });
});
