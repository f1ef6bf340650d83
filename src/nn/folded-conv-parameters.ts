/**
 * The arithmetic of folding an eval-mode batch norm into the convolution before it, for both
 * places that fold: a module tree (fold-batch-norm.ts, the classifier's inference copy) and an
 * exported ONNX graph (src/export/fold-batch-norm.ts). With s = γ / √(var + ε) per output
 * channel, the convolution's weight becomes W·s and its bias b·s + (β − mean·s): the same
 * affine map, computed once instead of at every inference. Everything is computed in float64
 * and rounded once to the weight's dtype.
 *
 * @example
 *   const folded = foldedConvParameters(conv.weight, conv.bias, { mean: bn.running_mean!, variance: bn.running_var!, eps: bn.eps, weight: bn.weight, bias: bn.bias });
 *   folded.weight; // W·s, a new tensor of conv.weight's dtype
 */
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** What an eval-mode batch norm computes with: its running statistics and (optional) affine parameters. */
export interface BatchNormStatistics {
  readonly mean: Tensor;
  readonly variance: Tensor;
  readonly eps: number;
  /** γ; null for a batch norm without affine parameters. */
  readonly weight: Tensor | null;
  /** β; null for a batch norm without affine parameters. */
  readonly bias: Tensor | null;
}

/** Weight elements folded in float64 at a time (8 MB). */
const FOLD_CHUNK_ELEMENTS = 1 << 20;

/** The batch norm's scale s = γ / √(var + ε) and shift β − mean·s, in float64. */
function affineOf(bn: BatchNormStatistics): { scale: Tensor; shift: Tensor } {
  const mean = bn.mean.double();
  const scale = bn.variance.double().add(bn.eps).rsqrt();
  const s = bn.weight ? scale.mul(bn.weight.double()) : scale;
  const shift = mean.mul(s).neg();
  return { scale: s, shift: bn.bias ? shift.add(bn.bias.double()) : shift };
}

/**
 * The convolution's new weight and bias (new tensors, of `weight`'s dtype and device) with the
 * batch norm after it folded in; `weight` and `bias` are left as they are. The results are
 * kept (no enclosing scope frees them): the caller owns them.
 */
export function foldedConvParameters(weight: Tensor, bias: Tensor | null, bn: BatchNormStatistics): { weight: Tensor; bias: Tensor } {
  return scope(() => {
    const { scale, shift } = affineOf(bn);
    // w * scale rounded once (float64 product), a slice of output channels at a time: the
    // whole largest layer in float64 (3024 x 3024 on regnet_y_16gf, 73 MB, twice over) would
    // set the preparation's peak memory.
    const w = weight.clone();
    const rows = weight.shape[0]!;
    const perChannel = [-1, ...weight.shape.slice(1).map(() => 1)];
    const step = Math.max(1, Math.floor(FOLD_CHUNK_ELEMENTS / (weight.numel / rows)));
    for (let start = 0; start < rows; start += step) {
      const n = Math.min(step, rows - start);
      scope(() => {
        w.narrow(0, start, n).copy_(
          weight
            .narrow(0, start, n)
            .double()
            .mul_(scale.narrow(0, start, n).reshape(perChannel)),
        );
      });
    }
    const b = (bias ? bias.double().mul(scale).add(shift) : shift).to({ dtype: weight.dtype });
    return { weight: w.keep(), bias: b.keep() };
  });
}
