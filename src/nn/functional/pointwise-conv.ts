/**
 * 1×1 convolutions as matrix products on CPU in bfloat16.
 *
 * A 1×1, stride-1 convolution of a channels-last tensor is exactly one matrix product: the
 * NHWC input viewed as [N·H·W, C_in] times the weight [C_out, C_in] transposed. libtorch 1.13's
 * oneDNN convolution computes the weight gradient of such a convolution slowly in bfloat16 (on
 * the 2-core AMX Xeon: 80 ms for a 3024→3024 layer at 7×7, batch 8, against 14 ms as a matrix
 * product; forward and input gradient are on a par), and RegNets spend most of their training
 * step in 1×1 convolutions. Routing them through `linear` (oneDNN's bfloat16 matrix
 * product, the same in autograd's backward) keeps the arithmetic — bfloat16 products, float32
 * accumulation — and the output layout (channels-last), and changes only the kernel.
 *
 * The route is taken only where it was measured: CPU, bfloat16 (the input's dtype or CPU
 * autocast's), channels-last input, 1×1 kernel, stride 1, no padding, one group, and a weight
 * whose gradient is being recorded — the weight gradient is the reason for the route. Without
 * it (inference: `noGrad`, frozen layers) oneDNN's convolution runs: on the 2-core AMD EPYC
 * (AVX512-BF16, no AMX) the matrix products made a mobilenet_v2 inference pass 1.6× slower
 * (9.9 against 6.0 ms an image at batch 8, one thread). There,
 * forward + backward of every 1×1 layer of resnet50 and regnet_y_16gf ran 1.05–2.9× faster
 * (a whole regnet_y_16gf step 1.11–1.35×; a resnet50 step 0.96–1.00, not yet understood). Strided 1×1 convolutions (a subsampled view first) lost
 * on the narrow early layers; float32 keeps oneDNN's convolution (parity with PyTorch; the
 * product wins on some shapes and loses on others there). `setPointwiseConvAsMatmul(false)` turns it off,
 * e.g. to compare against PyTorch's kernel choice.
 *
 * @example
 *   setPointwiseConvAsMatmul(false); // every convolution through oneDNN, as PyTorch does
 */
import { native } from '../../native/binding.js';
import { dtypeCode } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pair, type Size2 } from './args.js';
import { linear } from './linear.js';

let enabled = true;
const BF16 = dtypeCode('bfloat16');

/** Whether 1×1 bfloat16 convolutions on CPU run as matrix products (default true). */
export function pointwiseConvAsMatmul(): boolean {
  return enabled;
}

/** Turns the matrix-product route for 1×1 bfloat16 CPU convolutions on or off; returns the previous setting. */
export function setPointwiseConvAsMatmul(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether the convolution runs in bfloat16: bfloat16 tensors, or float32/bfloat16 ones under CPU bfloat16 autocast. */
function runsInBf16(input: Tensor, weight: Tensor): boolean {
  const [on, code] = native.autocastState('cpu');
  if (on && code === BF16) return input.dtype === 'float32' || input.dtype === 'bfloat16';
  // Without autocast, mixed dtypes are the convolution's error to word.
  return input.dtype === 'bfloat16' && weight.dtype === 'bfloat16';
}

/** conv2d's geometry (defaults as there): the route needs stride 1, no padding or dilation, one group. */
export interface PointwiseGeometry {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  groups?: number;
}

const all = (v: Size2, name: string, n: number) => pair(v, name).every((x) => x === n);

/**
 * The convolution as a matrix product when the route applies (see the file comment), else
 * null (conv2d then runs libtorch's convolution, which also words any error).
 */
export function pointwiseConvAsMatmulOrNull(input: Tensor, weight: Tensor, bias: Tensor | null | undefined, geometry: PointwiseGeometry = {}): Tensor | null {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = geometry;
  if (!enabled || groups !== 1 || !all(stride, 'stride', 1) || !all(padding, 'padding', 0) || !all(dilation, 'dilation', 1)) return null;
  const wShape = weight.shape;
  if (wShape.length !== 4 || wShape[2] !== 1 || wShape[3] !== 1) return null;
  if (input.ndim !== 4 || !input.isContiguous('channelsLast')) return null;
  if (input.device !== 'cpu' || !runsInBf16(input, weight)) return null;
  if (!weight.requiresGrad || !native.gradEnabled()) return null;
  const [cOut, cIn] = wShape as [number, number];
  if (input.shape[1] !== cIn) return null;
  const rows = input.permute(0, 2, 3, 1); // a contiguous NHWC view
  const flatWeight = weight.reshape([cOut, cIn]);
  const product = linear(rows, flatWeight, bias); // [N, H, W, C_out], contiguous
  const output = product.permute(0, 3, 1, 2); // NCHW shape, channels-last strides, as oneDNN's
  rows.dispose();
  flatWeight.dispose();
  product.dispose();
  return output;
}
