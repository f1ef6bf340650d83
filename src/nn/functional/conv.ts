/** 2-D convolution (torch.nn.functional.conv2d). */
import { aten } from '../../native/aten.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';
import { opt, pair, type Size2 } from './args.js';
import { pointwiseConvAsMatmulOrNull } from './pointwise-conv.js';

/** Options of `conv2d`, with PyTorch's defaults. */
export interface Conv2dOptions {
  /** Step of the kernel over the input (default 1). */
  stride?: Size2;
  /**
   * Implicit zero padding on both sides (default 0), or `'valid'` (none) or `'same'` (output
   * as large as the input; stride must be 1, as in PyTorch).
   */
  padding?: Size2 | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Blocked connections from input to output channels; `groups = C_in` is depthwise (default 1). */
  groups?: number;
}

/**
 * Convolves `input` [N, C_in, H, W] (or unbatched [C_in, H, W]) with `weight`
 * [C_out, C_in / groups, kH, kW] and adds `bias` [C_out] when given.
 *
 * @example
 *   const y = conv2d(x, w, b, { stride: 2, padding: 1 });          // a strided 3x3 stem
 *   const dw = conv2d(x, wDepthwise, null, { padding: 'same', groups: 32 });
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  if (typeof padding === 'string') {
    if (padding !== 'same' && padding !== 'valid') throw new TypeError(`conv2d: padding must be a size, 'same' or 'valid', got '${padding}'`);
    // The string overload lets libtorch compute asymmetric 'same' padding exactly as PyTorch.
    return wrap(aten('conv2d.padding').call(input.handle, weight.handle, opt(bias), pair(stride, 'stride'), padding, pair(dilation, 'dilation'), groups));
  }
  const product = pointwiseConvAsMatmulOrNull(input, weight, bias, { stride, padding, dilation, groups });
  if (product) return product;
  return wrap(
    aten('conv2d').call(input.handle, weight.handle, opt(bias), pair(stride, 'stride'), pair(padding, 'padding'), pair(dilation, 'dilation'), groups),
  );
}
