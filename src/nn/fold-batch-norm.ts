/**
 * Folds each eval-mode BatchNorm2d into the convolution that feeds it, in a module tree (the
 * module-side twin of src/export/fold-batch-norm.ts, which folds in an ONNX graph; both take
 * the arithmetic from folded-conv-parameters.ts): the convolution gets the folded weight and
 * bias, the same affine map computed once instead of at every inference, and the batch norm
 * is replaced by an Identity and freed.
 *
 * Which convolution feeds which batch norm is read off one traced forward pass, not off names:
 * a pair is folded only where the batch norm's input is the very tensor a plain `Conv2d`
 * returned, no other module received that tensor, and both modules ran exactly once. A
 * functional use of the convolution's output (outside any module) is invisible to the trace,
 * so the fold is checked against the traced pass's logits and undone if they moved.
 *
 * For inference copies only: the model must be in eval mode (its batch norms then use their
 * running statistics, which is what makes the fold exact); a training model is refused.
 *
 * @example
 *   model.eval();
 *   const folded = foldBatchNorms(model, randn([1, 3, 224, 224])); // number of pairs folded
 */
import { noGrad } from '../autograd/grad-mode.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { BatchNorm2d } from './layers/batch-norm.js';
import { Conv2d } from './layers/conv2d.js';
import { Identity } from './layers/identity.js';
import { callCounts, traceCalls, type Call } from './trace-calls.js';
import { foldedConvParameters } from './folded-conv-parameters.js';

type Forward = (...args: unknown[]) => unknown;

function foldable(conv: Module, bn: Module): conv is Conv2d {
  // Exact classes only: a subclass may compute something else with the same weights.
  if (conv.constructor !== Conv2d || bn.constructor !== BatchNorm2d) return false;
  const b = bn as BatchNorm2d;
  return !b.training && b.running_mean !== null && b.running_var !== null && (conv as Conv2d).outChannels === b.numFeatures;
}

interface Pair {
  conv: Conv2d;
  bn: BatchNorm2d;
  bnPath: string;
}

/** The (conv, bn path) pairs the trace shows to be exact to fold. */
function pairsToFold(model: Module, calls: readonly Call[]): Pair[] {
  const count = callCounts(calls);
  const receivers = new Map<unknown, number>();
  for (const c of calls) receivers.set(c.input, (receivers.get(c.input) ?? 0) + 1);
  const producer = new Map<unknown, Call>();
  for (const c of calls) if (c.module.constructor === Conv2d) producer.set(c.output, c);
  const pathOf = new Map(model.namedModules().map(([p, m]) => [m, p] as const));
  const pairs: Pair[] = [];
  for (const c of calls) {
    const conv = producer.get(c.input);
    if (!conv || !foldable(conv.module, c.module)) continue;
    if (count.get(conv.module) !== 1 || count.get(c.module) !== 1 || receivers.get(c.input) !== 1) continue;
    const bnPath = pathOf.get(c.module);
    if (bnPath) pairs.push({ conv: conv.module, bn: c.module as BatchNorm2d, bnPath });
  }
  return pairs;
}

/**
 * The model's logits with every pair's batch norm moved into its convolution's forward (the
 * convolution returns bn(conv(x)), the batch norm passes its input through): the arithmetic of
 * the unfolded model, the data flow of the folded one. Any other consumer of a convolution's
 * output now sees the normalised tensor, so the logits move where a fold would be wrong, and
 * nothing is allocated beyond one pass.
 */
function logitsAsIfFolded(model: Module, pairs: readonly Pair[], sample: Tensor): Tensor {
  const patched: Module[] = [];
  try {
    for (const { conv, bn } of pairs) {
      const c = conv as unknown as { forward: Forward };
      const b = bn as unknown as { forward: Forward };
      c.forward = (x: unknown) => BatchNorm2d.prototype.forward.call(bn, Conv2d.prototype.forward.call(conv, x as Tensor));
      b.forward = (x: unknown) => x;
      patched.push(conv, bn);
    }
    return scope(() => model.forward(sample).float().keep());
  } finally {
    for (const m of patched) delete (m as unknown as { forward?: Forward }).forward;
  }
}

/** Folds one pair for good: new weight and bias on the convolution, the batch norm freed. */
function foldPair(model: Module, { conv, bn, bnPath }: Pair): void {
  const oldWeight = conv.weight;
  const oldBias = conv.bias;
  const { weight, bias } = foldedConvParameters(oldWeight, oldBias, {
    mean: bn.running_mean!,
    variance: bn.running_var!,
    eps: bn.eps,
    weight: bn.weight,
    bias: bn.bias,
  });
  conv.registerParameter('weight', weight);
  conv.registerParameter('bias', bias);
  model.setSubmodule(bnPath, new Identity());
  // One layer's weights are doubled at a time, never the model's.
  oldWeight.dispose();
  oldBias?.dispose();
  bn.dispose();
}

/**
 * Folds every exact conv → batch-norm pair of an eval-mode `model`, traced on `sample` (a
 * batch the model accepts, e.g. randn([1, 3, S, S])); returns how many were folded (0, with the
 * model untouched, when the check of the data flow against the unfolded logits fails).
 */
export function foldBatchNorms(model: Module, sample: Tensor, options: { tolerance?: number } = {}): number {
  if (model.training) throw new Error('foldBatchNorms: the model is in training mode; folding is for eval-mode inference copies (call eval() on a copy)');
  return noGrad(() => {
    // Only the pairs and the logits leave the scope: the traced intermediates are freed here.
    const { pairs, before } = scope(() => {
      const { calls, logits } = traceCalls(model, sample);
      return { pairs: pairsToFold(model, calls), before: logits };
    });
    try {
      if (!pairs.length) return 0;
      const after = logitsAsIfFolded(model, pairs, sample);
      const magnitude = scope(() => Math.max(1, before.abs().max().item()));
      const moved = scope(() => after.sub(before).abs().max().item());
      after.dispose();
      if (!(moved <= (options.tolerance ?? 1e-4) * magnitude)) return 0;
      for (const pair of pairs) foldPair(model, pair);
      return pairs.length;
    } finally {
      before.dispose();
    }
  });
}
