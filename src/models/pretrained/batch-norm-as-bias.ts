/**
 * A BatchNorm2d that only adds a bias: the state-dict entries that stand in for a batch norm
 * someone else already folded away. Not folding (that is src/nn/folded-conv-parameters.ts):
 * this is the way back into an architecture that still has the batch norm. A network
 * exported to ONNX in eval mode had its BatchNorms folded into the convolutions, which carry
 * the folded weight `w * gamma / sqrt(var + eps)` and bias `beta - mean * gamma / sqrt(var + eps)`;
 * the BatchNorm that torchvision's architecture still has after the conv must add that bias
 * and nothing else.
 *
 * The mapping chosen: weight = 1, bias = folded bias, running_mean = 0,
 * running_var = 1 - eps. In eval mode BatchNorm computes
 * `(x - 0) / sqrt((1 - eps) + eps) * 1 + bias`, i.e. `x + bias` (the denominator rounds to
 * exactly 1 in float32 for eps = 1e-5; the tests check it). The conv itself keeps no bias,
 * as in torchvision, so the state dict has exactly torchvision's keys and shapes.
 *
 * In training mode a BatchNorm normalises with batch statistics instead, which this mapping
 * cannot anticipate: before fine-tuning with BatchNorm in training mode, re-estimate the
 * statistics with `recalibrateBatchNorm` (recalibrate.ts), or keep the BatchNorms in eval mode.
 *
 * @example
 *   Object.assign(dict, foldedBatchNormEntries('features.0.1', bias));
 */
import { full, ones, zeros, type Tensor } from '../../tensor/index.js';

/** torchvision's BatchNorm2d epsilon (MobileNetV2, ResNet and most of the zoo). */
export const BATCH_NORM_EPS = 1e-5;

/**
 * The five state-dict entries of a BatchNorm2d at `prefix` that make it add `bias` (a 1-D
 * float32 tensor, which the returned dict takes over) in eval mode.
 *
 * @example
 *   foldedBatchNormEntries('features.0.1', bias);
 *   // { 'features.0.1.weight': 1s, '….bias': bias, '….running_mean': 0s, '….running_var': 1-eps, '….num_batches_tracked': 0 }
 */
export function foldedBatchNormEntries(prefix: string, bias: Tensor, eps = BATCH_NORM_EPS): Record<string, Tensor> {
  if (bias.ndim !== 1) throw new Error(`${prefix}: a folded bias must be 1-D, got shape [${bias.shape}]`);
  const c = bias.shape[0]!;
  return {
    [`${prefix}.weight`]: ones([c]),
    [`${prefix}.bias`]: bias,
    [`${prefix}.running_mean`]: zeros([c]),
    [`${prefix}.running_var`]: full([c], 1 - eps),
    [`${prefix}.num_batches_tracked`]: zeros([], { dtype: 'int64' }),
  };
}
