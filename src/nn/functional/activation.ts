/**
 * Element-wise activations and the softmax family (torch.nn.functional). Functions with an
 * `inplace` option overwrite `input` and return it, as PyTorch's `inplace=True` does: it saves
 * a buffer in training, but `input` must not be needed by autograd elsewhere.
 */
import { aten, atenUntyped } from '../../native/aten.js';
import type { Handle } from '../../native/binding.js';
import { dtypeCode, type DType } from '../../tensor/dtype.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';

/** The option of the activations that can work in place (`relu`, `relu6`, `leakyRelu`, `silu`, `hardswish`, `hardsigmoid`). */
export interface InplaceOption {
  /** Overwrite `input` and return it (default false). */
  inplace?: boolean;
}

// Untyped: the in-place twin's name is computed. Every caller passes a `Tensor self` first and
// scalars after, and each of these operators returns one tensor.
function unary(name: string, input: Tensor, inplace = false, ...args: number[]): Tensor {
  if (inplace) {
    atenUntyped(`${name}_`).callVoid(input.handle, ...args);
    return input;
  }
  return wrap(atenUntyped(name).call(input.handle, ...args) as Handle);
}

/**
 * max(x, 0).
 *
 * @example
 *   const y = relu(x);
 *   relu(h, { inplace: true }); // h itself is rectified
 */
export function relu(input: Tensor, options: InplaceOption = {}): Tensor {
  return unary('relu', input, options.inplace);
}

/**
 * min(max(x, 0), 6), as in MobileNets.
 *
 * @example
 *   const y = relu6(x);
 */
export function relu6(input: Tensor, options: InplaceOption = {}): Tensor {
  // PyTorch's relu6 with inplace=True is hardtanh_(0, 6); the result is the same.
  // libtorch 1.13 has no bfloat16 backward for hardtanh (relu6) on CPU, which bf16 autocast
  // training of MobileNets needs; clamp computes the same values and has one.
  if (input.dtype === 'bfloat16' && input.requiresGrad) return options.inplace ? input.clamp_(0, 6) : input.clamp(0, 6);
  if (options.inplace) return unary('hardtanh', input, true, 0, 6);
  return unary('relu6', input);
}

/**
 * x for x >= 0, negativeSlope * x otherwise.
 *
 * @example
 *   const y = leakyRelu(x, { negativeSlope: 0.2 });
 */
export function leakyRelu(input: Tensor, options: InplaceOption & { negativeSlope?: number } = {}): Tensor {
  return unary('leaky_relu', input, options.inplace, options.negativeSlope ?? 0.01);
}

/**
 * Gaussian error linear unit: x * Phi(x) exactly (`approximate: 'none'`, the default) or
 * with the tanh approximation (`'tanh'`).
 *
 * @example
 *   const y = gelu(x);
 *   const fast = gelu(x, { approximate: 'tanh' });
 */
export function gelu(input: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got '${approximate as string}'`);
  return wrap(aten('gelu').call(input.handle, approximate));
}

/**
 * x * sigmoid(x) (swish), as in EfficientNets.
 *
 * @example
 *   const y = silu(x);
 */
export function silu(input: Tensor, options: InplaceOption = {}): Tensor {
  return unary('silu', input, options.inplace);
}

/**
 * 1 / (1 + exp(-x)).
 *
 * @example
 *   const gate = sigmoid(logits);
 */
export function sigmoid(input: Tensor): Tensor {
  return unary('sigmoid', input);
}

/**
 * Hyperbolic tangent.
 *
 * @example
 *   const y = tanh(x);
 */
export function tanh(input: Tensor): Tensor {
  return unary('tanh', input);
}

/**
 * x * relu6(x + 3) / 6, as in MobileNetV3.
 *
 * @example
 *   const y = hardswish(x);
 */
export function hardswish(input: Tensor, options: InplaceOption = {}): Tensor {
  return unary('hardswish', input, options.inplace);
}

/**
 * relu6(x + 3) / 6, a piecewise-linear sigmoid (squeeze-and-excitation gates in MobileNetV3).
 *
 * @example
 *   const gate = hardsigmoid(x);
 */
export function hardsigmoid(input: Tensor, options: InplaceOption = {}): Tensor {
  return unary('hardsigmoid', input, options.inplace);
}

/** Options of `softmax` and `logSoftmax`. */
export interface SoftmaxOptions {
  /** Cast the input to this dtype first (e.g. float32 for a float16 input), as PyTorch's `dtype`. */
  dtype?: DType;
}

/**
 * exp(x) / sum(exp(x)) along `dim`, computed stably.
 *
 * @example
 *   const probs = softmax(logits, -1);
 */
export function softmax(input: Tensor, dim: number, options: SoftmaxOptions = {}): Tensor {
  return wrap(aten('softmax.int').call(input.handle, dim, options.dtype ? dtypeCode(options.dtype) : null));
}

/**
 * log(softmax(x)) along `dim`, computed stably (not as the log of softmax).
 *
 * @example
 *   const logp = logSoftmax(logits, 1);
 */
export function logSoftmax(input: Tensor, dim: number, options: SoftmaxOptions = {}): Tensor {
  return wrap(aten('log_softmax.int').call(input.handle, dim, options.dtype ? dtypeCode(options.dtype) : null));
}
