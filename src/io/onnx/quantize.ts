/**
 * ONNX's linear (de)quantisation, as its `DequantizeLinear` operator defines it:
 * `x = (q - zero_point) * scale`, with one scale for the whole tensor or one per slice
 * along `axis` (per-channel weights). The arithmetic runs in float64 so that int32 values
 * (quantised biases reach 2^31) and small scales lose nothing before the final float32.
 *
 * @example
 *   const w = dequantizeLinear(wq, wScale, wZeroPoint, { axis: 0 });   // per output channel
 */
import { scope, type Tensor } from '../../tensor/index.js';

/** Options of `dequantizeLinear`. */
export interface DequantizeOptions {
  /** The axis a 1-D scale runs along (ONNX's default is 1; conv weights use 0). */
  axis?: number;
}

/**
 * Dequantises an integer tensor to float32. `zeroPoint` null means zero (int32 biases);
 * a 1-D `scale` (and `zeroPoint`) of length `q.shape[axis]` applies per slice.
 *
 * @example
 *   // QLinearConv bias: int32, scale = input scale * per-channel weight scale, zero point 0
 *   const b = dequantizeLinear(bq, wScale.mul(xScale), null, { axis: 0 });
 */
export function dequantizeLinear(q: Tensor, scale: Tensor, zeroPoint: Tensor | null = null, options: DequantizeOptions = {}): Tensor {
  return scope(() => {
    const perAxis = scale.ndim === 1 && scale.numel > 1;
    let s = scale.to({ dtype: 'float64' });
    let z = zeroPoint?.to({ dtype: 'float64' }) ?? null;
    if (z && z.numel !== s.numel) throw new Error(`dequantizeLinear: scale has ${s.numel} elements, zero point ${z.numel}`);
    if (perAxis) {
      const axis = options.axis ?? 1;
      const ax = axis < 0 ? axis + q.ndim : axis;
      if (ax < 0 || ax >= q.ndim || q.shape[ax] !== s.numel) {
        throw new Error(`dequantizeLinear: ${s.numel} scales do not match axis ${axis} of shape [${q.shape}]`);
      }
      // Broadcast the per-channel values along `ax`: shape [1, .., C, .., 1].
      const shape = q.shape.map((n, i) => (i === ax ? n : 1));
      s = s.reshape(shape);
      z = z?.reshape(shape) ?? null;
    } else if (s.numel !== 1) {
      throw new Error(`dequantizeLinear: scale must be a scalar or 1-D, got shape [${scale.shape}]`);
    }
    const x = q.to({ dtype: 'float64' });
    return (z ? x.sub(z) : x).mul(s).to({ dtype: 'float32' });
  });
}
