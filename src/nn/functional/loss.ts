/** Loss functions for classification and regression (torch.nn.functional.*_loss). */
import { aten } from '../../native/aten.js';
import { wrap, wrapAll, type Tensor } from '../../tensor/tensor.js';
import { scope } from '../../tensor/scope.js';
import { opt, reductionCode, type Reduction } from './args.js';

/** Options of `crossEntropy`, with PyTorch's defaults. */
export interface CrossEntropyOptions {
  /** Per-class weights [C] (rescale rare classes). */
  weight?: Tensor | null;
  /** Class index whose targets contribute nothing, not even to the mean's divisor (default -100). Class-index targets only. */
  ignoreIndex?: number;
  /** 'mean' (default; weighted mean with class weights), 'sum' or 'none' (per sample). */
  reduction?: Reduction;
  /** Mix the target with the uniform distribution: (1 - s) * target + s / C (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross entropy between `input` logits [N, C] (or [N, C, d1, ...], or [C]) and `target`:
 * either class indices [N] (int64), or class probabilities of the input's shape (float,
 * e.g. mixup/cutmix soft labels). Combines logSoftmax and the negative log likelihood.
 *
 * @example
 *   const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 *   const soft = crossEntropy(logits, mixedTargets);  // targets [N, C] summing to 1
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { weight, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new RangeError(`label_smoothing must be between 0.0 and 1.0. Got: ${labelSmoothing}`);
  return wrap(aten('cross_entropy_loss').call(input.handle, target.handle, opt(weight), reductionCode(reduction), ignoreIndex, labelSmoothing));
}

/** Options of `nllLoss`. */
export interface NllLossOptions {
  /** Per-class weights [C]. */
  weight?: Tensor | null;
  /** Class index whose targets are skipped (default -100). */
  ignoreIndex?: number;
  /** 'mean' (default, weighted by the targets' class weights), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Negative log likelihood of class indices `target` [N] (or [N, d1, ...]) under
 * log-probabilities `input` [N, C] (or [N, C, d1, ...]).
 *
 * @example
 *   const loss = nllLoss(logSoftmax(logits, 1), labels);
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const { weight, ignoreIndex = -100, reduction = 'mean' } = options;
  return wrap(aten('nll_loss_nd').call(input.handle, target.handle, opt(weight), reductionCode(reduction), ignoreIndex));
}

/**
 * Mean squared error; `input` and `target` broadcast against each other (as PyTorch, which
 * warns: different shapes are usually a bug).
 *
 * @example
 *   const loss = mseLoss(pred, target);
 */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const code = reductionCode(options.reduction ?? 'mean');
  return scope(() => {
    const [a, b] = wrapAll(aten('broadcast_tensors').call([input.handle, target.handle]));
    return wrap(aten('mse_loss').call(a!.handle, b!.handle, code));
  });
}

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BceWithLogitsOptions {
  /** Rescales each element's loss (broadcast to the input). */
  weight?: Tensor | null;
  /** Weight of the positive term per class (broadcast over the last dimension), for imbalanced labels. */
  posWeight?: Tensor | null;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Binary cross entropy of `target` probabilities (same shape as `input`) under
 * sigmoid(`input`), computed stably from the logits.
 *
 * @example
 *   const loss = binaryCrossEntropyWithLogits(logits, multiHot, { posWeight });
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const { weight, posWeight, reduction = 'mean' } = options;
  const a = input.shape;
  const b = target.shape;
  if (a.length !== b.length || a.some((v, i) => v !== b[i]))
    throw new Error(`Target size ([${b.join(', ')}]) must be the same as input size ([${a.join(', ')}])`);
  return wrap(aten('binary_cross_entropy_with_logits').call(input.handle, target.handle, opt(weight), opt(posWeight), reductionCode(reduction)));
}
