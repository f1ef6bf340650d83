/** Batch, layer and group normalisation (torch.nn.functional.batch_norm / layer_norm / group_norm). */
import { aten } from '../../native/aten.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';
import { opt } from './args.js';

/** Options of `batchNorm`: the affine parameters, the mode, and the running-statistics update. */
export interface BatchNormOptions {
  /** Per-channel scale gamma [C] (none: 1). */
  weight?: Tensor | null;
  /** Per-channel shift beta [C] (none: 0). */
  bias?: Tensor | null;
  /**
   * true: normalise with the batch's statistics and update the running statistics in place
   * (`running = (1 - momentum) * running + momentum * batch`, the variance unbiased);
   * false (default): normalise with the running statistics.
   */
  training?: boolean;
  /** Weight of the batch statistics in the running update (default 0.1). */
  momentum?: number;
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
}

// PyTorch refuses to train on one value per channel (its variance is undefined); so do we,
// with the same message.
function verifyBatchSize(size: number[]): void {
  let n = size[0]!;
  for (let i = 2; i < size.length; i++) n *= size[i]!;
  if (n === 1) throw new Error(`Expected more than 1 value per channel when training, got input size [${size.join(', ')}]`);
}

/**
 * Normalises each channel of `input` [N, C, ...] over the batch and spatial dimensions.
 * `runningMean`/`runningVar` [C] may be null only when training.
 *
 * @example
 *   // a training step: y uses batch statistics, mean/var move towards them in place
 *   const y = batchNorm(x, mean, variance, { weight: gamma, bias: beta, training: true });
 *   // inference: the running statistics
 *   const z = batchNorm(x, mean, variance, { weight: gamma, bias: beta });
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const { weight, bias, training = false, momentum = 0.1, eps = 1e-5 } = options;
  if (training) verifyBatchSize(input.shape);
  // cudnn_enabled=true as torch.backends.cudnn.enabled defaults; libtorch picks the kernel.
  return wrap(aten('batch_norm').call(input.handle, opt(weight), opt(bias), opt(runningMean), opt(runningVar), training, momentum, eps, true));
}

/** Options of `layerNorm` and `groupNorm`: the elementwise affine parameters and eps. */
export interface LayerNormOptions {
  /** Elementwise scale over `normalizedShape` (none: 1). */
  weight?: Tensor | null;
  /** Elementwise shift over `normalizedShape` (none: 0). */
  bias?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Normalises over the trailing dimensions given by `normalizedShape` (biased variance).
 *
 * @example
 *   const y = layerNorm(tokens, [768], { weight: g, bias: b }); // tokens [N, L, 768]
 */
export function layerNorm(input: Tensor, normalizedShape: number | readonly number[], options: LayerNormOptions = {}): Tensor {
  const { weight, bias, eps = 1e-5 } = options;
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  // Under CPU autocast libtorch 1.13 leaves layer_norm alone, and its kernel refuses a bf16
  // input with float32 weights; PyTorch 2's autocast runs layer_norm in float32. Do the same.
  if (weight && weight.dtype !== input.dtype && weight.dtype === 'float32') {
    const x = input.float();
    try {
      return wrap(aten('layer_norm').call(x.handle, shape, opt(weight), opt(bias), eps, true));
    } finally {
      x.dispose();
    }
  }
  return wrap(aten('layer_norm').call(input.handle, shape, opt(weight), opt(bias), eps, true));
}

/**
 * Normalises `input` [N, C, ...] over groups of `numGroups` channels (C must divide evenly),
 * then applies per-channel `weight`/`bias` [C].
 *
 * @example
 *   const y = groupNorm(x, 32, { weight: g, bias: b }); // x [N, 256, H, W]
 */
export function groupNorm(input: Tensor, numGroups: number, options: LayerNormOptions = {}): Tensor {
  const { weight, bias, eps = 1e-5 } = options;
  const size = input.shape;
  if (size.length < 2) throw new Error(`groupNorm: expected input of shape [N, C, ...], got [${size.join(', ')}]`);
  verifyBatchSize([Math.floor((size[0]! * size[1]!) / numGroups), numGroups, ...size.slice(2)]);
  return wrap(aten('group_norm').call(input.handle, numGroups, opt(weight), opt(bias), eps, true));
}
