/**
 * Batched parity against PyTorch: many cases, one Python process. Each case runs in
 * finegrain and in torch on the same inputs; forward outputs (and, for the inputs named in
 * `grad`, gradients of sum(y * seed) with a random seed) must agree. The Python side is a
 * lambda over a dict `t` of torch tensors with the same names as the JS inputs.
 *
 * @example
 *   parityTests([{ name: 'relu', inputs: { x: randn([4]) }, grad: ['x'],
 *                  js: (t) => F.relu(t.x!), py: 'F.relu(t["x"])' }]);
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, scope, zerosLike, isFloating, type Tensor } from '../../src/index.js';
import { torchOracle, oracleSkip } from './oracle.js';
import { assertClose } from './assert-close.js';

export interface ParityCase {
  name: string;
  /** Inputs, shared as is with PyTorch; each side works on its own copies. */
  inputs: Record<string, Tensor>;
  /** The finegrain computation: one output, or several (the first is the one differentiated). */
  js: (t: Record<string, Tensor>) => Tensor | Tensor[];
  /** The same in PyTorch: a Python expression over `t` giving a tensor or a tuple. */
  py: string;
  /**
   * Inputs to differentiate with respect to (they become leaves requiring grad on both
   * sides); skipped when the first output is not floating (argmax, comparisons).
   */
  grad?: string[];
  /** Inputs changed in place (running statistics) whose final values must agree too. */
  mutated?: string[];
  /** Tolerances of assertClose for floating outputs (defaults 1e-5 relative, 1e-6 absolute). */
  rtol?: number;
  atol?: number;
  /** Require bit-identical floating outputs (dtype conversions). */
  exact?: boolean;
  /** Both sides must fail, finegrain with a message matching this. */
  error?: RegExp;
}

interface Side {
  outputs: Record<string, Tensor>;
  error?: string;
}

// The oracle's transport cannot carry 0-d tensors (losses); they travel as [1] and are
// reshaped back on arrival.
const PY_RUNNER = `
def _put(key, v):
    if v.dim() == 0:
        outputs[key + '__0d'] = v.reshape(1)
    else:
        outputs[key] = v

def _case(prefix, grads, mutated, f):
    I = {k[len(prefix):]: v for k, v in inputs.items() if k.startswith(prefix)}
    try:
        t = {k: (v.clone().requires_grad_(True) if k in grads else v.clone()) for k, v in I.items()}
        y = f(t)
        ys = list(y) if isinstance(y, (tuple, list)) else [y]
        for j, v in enumerate(ys):
            _put(prefix + ('y' if j == 0 else 'y%d' % j), torch.as_tensor(v).detach())
        if grads and ys[0].is_floating_point():
            (ys[0] * I['__seed']).sum().backward()
            for k in grads:
                _put(prefix + 'd_' + k, t[k].grad if t[k].grad is not None else torch.zeros_like(t[k]))
        for k in mutated:
            _put(prefix + 'm_' + k, t[k].detach())
    except Exception as e:
        outputs[prefix + '__error'] = torch.tensor(list((type(e).__name__ + ': ' + str(e)).encode()), dtype=torch.uint8)
`;

function runJs(c: ParityCase): { side: Side; seed?: Tensor } {
  const grads = c.grad ?? [];
  return scope(() => {
    const t: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(c.inputs)) t[k] = grads.includes(k) ? v.detach().clone().requiresGrad_() : v.clone();
    try {
      const y = c.js(t);
      const ys = Array.isArray(y) ? y : [y];
      const outputs: Record<string, Tensor> = {};
      ys.forEach((v, j) => (outputs[j === 0 ? 'y' : `y${j}`] = v.detach()));
      let seed: Tensor | undefined;
      if (grads.length && isFloating(ys[0]!.dtype)) {
        seed = randn(ys[0]!.shape, { dtype: ys[0]!.dtype });
        ys[0]!.mul(seed).sum().backward();
        for (const k of grads) outputs[`d_${k}`] = t[k]!.grad ?? zerosLike(t[k]!);
      }
      for (const k of c.mutated ?? []) outputs[`m_${k}`] = t[k]!.detach();
      return { side: { outputs }, seed };
    } catch (e) {
      return { side: { outputs: {}, error: (e as Error).message } };
    }
  });
}

/** Runs every case on both sides (one Python process) and returns the pairs. */
export function runParity(cases: ParityCase[], pyPrelude = ''): { js: Side; py: Side }[] {
  const send: Record<string, Tensor> = {};
  const js: Side[] = [];
  let code = pyPrelude + PY_RUNNER;
  cases.forEach((c, i) => {
    const prefix = `c${i}_`;
    const { side, seed } = runJs(c);
    js.push(side);
    for (const [k, v] of Object.entries(c.inputs)) send[prefix + k] = v;
    if (seed) send[`${prefix}__seed`] = seed;
    code += `_case(${JSON.stringify(prefix)}, ${JSON.stringify(c.grad ?? [])}, ${JSON.stringify(c.mutated ?? [])}, lambda t: (${c.py}))\n`;
  });
  const out = torchOracle(code, send);
  return cases.map((_, i) => {
    const prefix = `c${i}_`;
    const py: Side = { outputs: {} };
    for (const [k, v] of Object.entries(out)) {
      if (!k.startsWith(prefix)) continue;
      const name = k.slice(prefix.length);
      if (name === '__error') py.error = Buffer.from(v.toTypedArray() as Uint8Array).toString('utf8');
      else if (name.endsWith('__0d')) py.outputs[name.slice(0, -4)] = v.reshape([]);
      else py.outputs[name] = v;
    }
    return { js: js[i]!, py };
  });
}

/** Compares one case's two sides; throws an assertion error naming the output that differs. */
export function compareParity(c: ParityCase, r: { js: Side; py: Side }): void {
  if (c.error) {
    assert.ok(r.js.error !== undefined, `${c.name}: finegrain did not fail`);
    assert.match(r.js.error, c.error, `${c.name}: finegrain's message`);
    assert.ok(r.py.error !== undefined, `${c.name}: PyTorch did not fail (finegrain said: ${r.js.error})`);
    return;
  }
  assert.equal(r.js.error, undefined, `${c.name}: finegrain failed: ${r.js.error}`);
  assert.equal(r.py.error, undefined, `${c.name}: PyTorch failed: ${r.py.error}`);
  assert.deepEqual(Object.keys(r.js.outputs).sort(), Object.keys(r.py.outputs).sort(), `${c.name}: outputs`);
  for (const [k, expected] of Object.entries(r.py.outputs)) {
    const actual = r.js.outputs[k]!;
    const what = `${c.name}: ${k}`;
    assert.equal(actual.dtype, expected.dtype, `${what} dtype`);
    assert.deepEqual(actual.shape, expected.shape, `${what} shape`);
    if (!isFloating(expected.dtype) || c.exact) {
      assert.ok(actual.equal(expected), `${what} differs: ${actual} vs ${expected}`);
    } else {
      assertClose(actual, expected, { rtol: c.rtol ?? 1e-5, atol: c.atol ?? 1e-6, message: what });
    }
  }
}

/**
 * Registers one node:test test per case; the first test to run computes all of them (one
 * Python process for the whole file).
 */
export function parityTests(cases: ParityCase[], pyPrelude = ''): void {
  let results: { js: Side; py: Side }[] | Error | undefined;
  cases.forEach((c, i) => {
    test(`parity: ${c.name}`, { skip: oracleSkip() }, () => {
      if (!results) {
        try {
          results = runParity(cases, pyPrelude);
        } catch (e) {
          results = e as Error; // one failed Python run fails every case, without rerunning it
        }
      }
      if (results instanceof Error) throw results;
      compareParity(c, results[i]!);
    });
  });
}
