/**
 * Gradients as values (torch.autograd.grad), for gradient checks, penalties and
 * higher-order derivatives.
 *
 * @example
 *   const x = tensor([1, 2, 3], { requiresGrad: true });
 *   const [dx] = grad([x.pow(2).sum()], [x]);   // 2x
 */
import { native } from '../native/binding.js';
import { Tensor, wrap } from '../tensor/tensor.js';

/** Options of `grad`, with torch.autograd.grad's meanings and defaults. */
export interface GradOptions {
  /** Seeds for non-scalar outputs (default: ones for scalar outputs). */
  gradOutputs?: (Tensor | null)[];
  /**
   * Keep the recorded graph after this call so that it can be differentiated again (default: the
   * value of `createGraph`, as in PyTorch; otherwise the graph is freed).
   */
  retainGraph?: boolean;
  /** Record the gradient computation itself, for higher-order derivatives. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/**
 * The gradients of `outputs` with respect to `inputs`, returned instead of accumulated into `.grad`
 * (which stays untouched). One entry per input: a new tensor, or null for an input the outputs do
 * not depend on when `allowUnused` is set.
 *
 * @example
 *   const [dydx] = grad([y], [x], { createGraph: true });   // dydx can be differentiated again
 */
export function grad(outputs: Tensor[], inputs: Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const hs = native.gradOf(
    outputs.map((t) => t.handle),
    inputs.map((t) => t.handle),
    options.gradOutputs ? options.gradOutputs.map((g) => (g ? g.handle : null)) : null,
    options.retainGraph ?? null,
    options.createGraph ?? null,
    options.allowUnused ?? null,
  );
  return hs.map((h) => wrap(h));
}

/** Back-propagates from several outputs at once. */
export function backward(outputs: Tensor[], gradOutputs?: (Tensor | null)[], options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  native.backward(
    outputs.map((t) => t.handle),
    gradOutputs ? gradOutputs.map((g) => (g ? g.handle : null)) : null,
    options.retainGraph ?? null,
    options.createGraph ?? null,
  );
}
