// Optimiser trajectories against torch.optim (PyTorch 1.13) on the same model, data and
// initial parameters: a small linear least-squares problem, 12 steps, parameters compared
// after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, SGD, manualSeed, randn, scope, stack, liveTensors, type Tensor, type Optimizer } from '../../src/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { assertClose } from '../support/assert-close.js';

const STEPS = 12;

interface Case {
  name: string;
  kind: 'SGD' | 'AdamW';
  options: Record<string, number | boolean | number[]>;
  /** Per-group overrides: W in group 0, b in group 1 (one group when absent). */
  groups?: [Record<string, number | boolean>, Record<string, number | boolean>];
  /** b gets no gradient on odd steps (its grad is None there), so step counts differ per parameter. */
  skipBias?: boolean;
}

const CASES: Case[] = [
  { name: 'sgd plain', kind: 'SGD', options: { lr: 0.1 } },
  { name: 'sgd momentum+dampening+weight decay', kind: 'SGD', options: { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 } },
  { name: 'sgd nesterov+weight decay', kind: 'SGD', options: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 } },
  { name: 'sgd maximize', kind: 'SGD', options: { lr: 0.05, momentum: 0.5, maximize: true } },
  {
    name: 'sgd groups, skipped bias',
    kind: 'SGD',
    options: { lr: 0.05, momentum: 0.9 },
    groups: [{ weightDecay: 0.1 }, { lr: 0.2, nesterov: true }],
    skipBias: true,
  },
  { name: 'adamw defaults', kind: 'AdamW', options: { lr: 0.05 } },
  { name: 'adamw amsgrad', kind: 'AdamW', options: { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, amsgrad: true } },
  { name: 'adamw no decay, maximize', kind: 'AdamW', options: { lr: 0.02, weightDecay: 0, maximize: true } },
  {
    name: 'adamw groups, skipped bias',
    kind: 'AdamW',
    options: { lr: 0.05, amsgrad: true },
    groups: [{ weightDecay: 0.5 }, { lr: 0.01, weightDecay: 0 }],
    skipBias: true,
  },
];

/** The loss whose gradients drive both runs; `sign` -1 for the maximize cases. */
function loss(x: Tensor, y: Tensor, w: Tensor, b: Tensor | null, sign: number): Tensor {
  const pred = b ? x.matmul(w).add(b) : x.matmul(w);
  return pred.sub(y).pow(2).mean().mul(sign);
}

function runFinegrain(c: Case, data: Record<string, Tensor>): { W: Tensor; b: Tensor } {
  const w = data.w0!.clone().requiresGrad_();
  const b = data.b0!.clone().requiresGrad_();
  const params = c.groups
    ? [
        { params: [w], ...c.groups[0] },
        { params: [b], ...c.groups[1] },
      ]
    : [w, b];
  const opt: Optimizer<any> = c.kind === 'SGD' ? new SGD(params, c.options as any) : new AdamW(params, c.options as any);
  const ws: Tensor[] = [];
  const bs: Tensor[] = [];
  const sign = c.options.maximize ? -1 : 1;
  for (let i = 0; i < STEPS; i++) {
    scope(() => {
      opt.zeroGrad();
      loss(data.x!, data.y!, w, c.skipBias && i % 2 === 1 ? null : b, sign).backward();
      opt.step();
    });
    ws.push(w.clone());
    bs.push(b.clone());
  }
  opt.dispose();
  return { W: stack(ws), b: stack(bs) };
}

// torch's keyword names for finegrain's options.
const TORCH_NAMES: Record<string, string> = { weightDecay: 'weight_decay' };
const toTorch = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [TORCH_NAMES[k] ?? k, v]));

const PYTHON = `
import json
cases = json.loads(CASES_JSON)
for i, c in enumerate(cases):
    w = inputs['w0'].clone().requires_grad_()
    b = inputs['b0'].clone().requires_grad_()
    params = [dict(params=[w], **c['groups'][0]), dict(params=[b], **c['groups'][1])] if c['groups'] else [w, b]
    opt = getattr(torch.optim, c['kind'])(params, **c['options'])
    ws, bs = [], []
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        pred = inputs['x'] @ w if c['skipBias'] and step % 2 == 1 else inputs['x'] @ w + b
        ((pred - inputs['y']).pow(2).mean() * c['sign']).backward()
        opt.step()
        ws.append(w.detach().clone())
        bs.append(b.detach().clone())
    outputs[f'W{i}'] = torch.stack(ws)
    outputs[f'b{i}'] = torch.stack(bs)
`;

test('SGD and AdamW follow torch.optim step by step', { skip: oracleSkip() }, () => {
  scope(() => {
    manualSeed(3);
    const data = { x: randn([16, 5]), y: randn([16, 3]), w0: randn([5, 3]).mul(0.5), b0: randn([3]).mul(0.5) };
    // One Python run for all cases: torch's import dominates the oracle's cost.
    const spec = CASES.map((c) => ({
      kind: c.kind,
      options: toTorch(c.options),
      groups: c.groups ? c.groups.map(toTorch) : null,
      skipBias: !!c.skipBias,
      sign: c.options.maximize ? -1 : 1,
    }));
    const code = `CASES_JSON = ${JSON.stringify(JSON.stringify(spec))}\nSTEPS = ${STEPS}\n${PYTHON}`;
    const expected = torchOracle(code, data);
    const errors: string[] = [];
    CASES.forEach((c, i) => {
      const before = liveTensors();
      scope(() => {
        const got = runFinegrain(c, data);
        const eW = assertClose(got.W, expected[`W${i}`]!, { rtol: 1e-6, atol: 1e-7, message: `${c.name}: W trajectory` });
        const eb = assertClose(got.b, expected[`b${i}`]!, { rtol: 1e-6, atol: 1e-7, message: `${c.name}: b trajectory` });
        errors.push(`${c.name}: ${Math.max(eW, eb).toExponential(1)}`);
        // The parameters really moved (a test that cannot fail is no test).
        assert.ok(
          got.W.select(0, STEPS - 1)
            .sub(data.w0)
            .abs()
            .max()
            .item() > 1e-3,
          `${c.name}: W did not move`,
        );
      });
      assert.equal(liveTensors(), before, `${c.name}: the optimiser leaked tensors`);
    });
    console.log(`max |finegrain - torch| over ${STEPS} steps: ${errors.join('; ')}`);
  });
});
