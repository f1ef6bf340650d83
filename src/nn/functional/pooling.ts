/** 2-D pooling: max, average and their adaptive forms (torch.nn.functional.*_pool2d). */
import { aten } from '../../native/aten.js';
import { wrap, wrapAll, type Tensor } from '../../tensor/tensor.js';
import { pair, type Size2 } from './args.js';

/** A max pooling's output and, per output element, the flat index (h * W + w) of the maximum in its input plane. */
export interface PoolWithIndices {
  /** The pooled tensor. */
  output: Tensor;
  /** The indices (int64), shaped as `output`. */
  indices: Tensor;
}

/** Options of `maxPool2d`, with PyTorch's defaults. */
export interface MaxPool2dOptions {
  /** Step of the window (default: the kernel size). */
  stride?: Size2 | null;
  /** Implicit -inf padding on both sides, at most half the kernel (default 0). */
  padding?: Size2;
  /** Spacing between window taps (default 1). */
  dilation?: Size2;
  /** Round the output size up instead of down, so windows may start in the padding's shadow (default false). */
  ceilMode?: boolean;
  /** Also return the indices of the maxima (for max unpooling). */
  returnIndices?: boolean;
}

/**
 * Maximum over `kernelSize` windows of `input` [N, C, H, W] (or [C, H, W]).
 *
 * @example
 *   const y = maxPool2d(x, 3, { stride: 2, padding: 1 });          // ResNet's stem pool
 *   const { output, indices } = maxPool2d(x, 2, { returnIndices: true });
 */
export function maxPool2d(input: Tensor, kernelSize: Size2, options?: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(input: Tensor, kernelSize: Size2, options: MaxPool2dOptions & { returnIndices: true }): PoolWithIndices;
export function maxPool2d(input: Tensor, kernelSize: Size2, options: MaxPool2dOptions): Tensor | PoolWithIndices;
export function maxPool2d(input: Tensor, kernelSize: Size2, options: MaxPool2dOptions = {}): Tensor | PoolWithIndices {
  const { stride, padding = 0, dilation = 1, ceilMode = false } = options;
  // An empty stride list is libtorch's "same as the kernel", PyTorch's stride=None.
  const args = [
    input.handle,
    pair(kernelSize, 'kernelSize'),
    stride == null ? [] : pair(stride, 'stride'),
    pair(padding, 'padding'),
    pair(dilation, 'dilation'),
    ceilMode,
  ] as const;
  if (options.returnIndices) {
    const [output, indices] = wrapAll(aten('max_pool2d_with_indices').call(...args));
    return { output: output!, indices: indices! };
  }
  return wrap(aten('max_pool2d').call(...args));
}

/** Options of `avgPool2d`, with PyTorch's defaults. */
export interface AvgPool2dOptions {
  /** Step of the window (default: the kernel size). */
  stride?: Size2 | null;
  /** Implicit zero padding on both sides, at most half the kernel (default 0). */
  padding?: Size2;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count padded zeros in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide by this instead of the window size. */
  divisorOverride?: number | null;
}

/**
 * Mean over `kernelSize` windows of `input` [N, C, H, W] (or [C, H, W]).
 *
 * @example
 *   const y = avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false });
 */
export function avgPool2d(input: Tensor, kernelSize: Size2, options: AvgPool2dOptions = {}): Tensor {
  const { stride, padding = 0, ceilMode = false, countIncludePad = true, divisorOverride = null } = options;
  return wrap(
    aten('avg_pool2d').call(
      input.handle,
      pair(kernelSize, 'kernelSize'),
      stride == null ? [] : pair(stride, 'stride'),
      pair(padding, 'padding'),
      ceilMode,
      countIncludePad,
      divisorOverride,
    ),
  );
}

/** An adaptive pool's output size: one number, or [h, w] where null keeps that input dimension. */
export type AdaptiveSize = number | readonly [number | null, number | null];

function outputSize(input: Tensor, size: AdaptiveSize): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : pair(size as [number, number], 'outputSize');
  const shape = input.shape;
  return [h ?? shape[shape.length - 2]!, w ?? shape[shape.length - 1]!];
}

/**
 * Average pooling to a fixed output size whatever the input size (e.g. global pooling with 1).
 *
 * @example
 *   const pooled = adaptiveAvgPool2d(features, 1).flatten(1); // [N, C]
 */
export function adaptiveAvgPool2d(input: Tensor, outputSizeHW: AdaptiveSize): Tensor {
  return wrap(aten('adaptive_avg_pool2d').call(input.handle, outputSize(input, outputSizeHW)));
}

/**
 * The mean over height and width, kept as [N, C, 1, 1] — the squeeze of squeeze-excite and
 * its relatives. Computed as a sum times 1 / (H·W) rather than `mean`, because the gradient of
 * a sum is a broadcast view of the pooled gradient, while `mean`'s backward materialises a
 * full NCHW-contiguous tensor; on channels-last activations, autograd then adds that to the
 * channels-last gradient of the gated branch with a slow mixed-layout add (about 5% of a
 * RegNetY-16GF bfloat16 training step on 2 cores). Same value up to rounding.
 *
 * @example
 *   const gate = sigmoid(fc2.forward(relu(fc1.forward(globalAvgPool2d(x))))); // [N, C, 1, 1]
 */
export function globalAvgPool2d(input: Tensor): Tensor {
  const [h, w] = input.shape.slice(-2) as [number, number];
  const total = input.sum([-2, -1], { keepdim: true });
  const mean = total.mul(1 / (h * w));
  total.dispose();
  return mean;
}

/**
 * Max pooling to a fixed output size whatever the input size.
 *
 * @example
 *   const pooled = adaptiveMaxPool2d(features, [7, 7]);
 *   const { output, indices } = adaptiveMaxPool2d(features, 1, { returnIndices: true });
 */
export function adaptiveMaxPool2d(input: Tensor, outputSizeHW: AdaptiveSize, options?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(input: Tensor, outputSizeHW: AdaptiveSize, options: { returnIndices: true }): PoolWithIndices;
export function adaptiveMaxPool2d(input: Tensor, outputSizeHW: AdaptiveSize, options: { returnIndices?: boolean }): Tensor | PoolWithIndices;
export function adaptiveMaxPool2d(input: Tensor, outputSizeHW: AdaptiveSize, options: { returnIndices?: boolean } = {}): Tensor | PoolWithIndices {
  // libtorch computes the indices either way; free them at once when not wanted.
  const [output, indices] = wrapAll(aten('adaptive_max_pool2d').call(input.handle, outputSize(input, outputSizeHW)));
  if (options.returnIndices) return { output: output!, indices: indices! };
  indices!.dispose();
  return output!;
}
