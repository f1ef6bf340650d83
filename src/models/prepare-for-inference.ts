/**
 * Turns a loaded model into an inference copy for the default route of `classifier()` (and so
 * of eval, predict and serve): batch norms folded into their convolutions (exact in eval
 * mode; see nn/fold-batch-norm.ts) and, for a reduced precision, every plain `Conv2d` and
 * `Linear` weight and bias stored in that precision once. Autocast casts float32 weights to
 * bfloat16 on every pass (25.6 M values per resnet50 pass); weights already in bfloat16 pass
 * through, so the arithmetic is the same and the per-pass cast is gone. The weights are
 * converted in place (one copy in memory, not two): the prepared model must run under
 * autocast in that precision, and is for inference only — it is switched to eval mode, and a
 * checkpoint saved from it would hold folded weights, so it is never handed to training.
 * `precision: 'float32'` folds nothing and casts nothing: the float32 arithmetic of the model
 * as it is, only its CPU convolutions run as plans (below), without fusion where a batch norm
 * sits between convolution and activation.
 *
 * On the CPU the copy then runs its convolutions as oneDNN plans
 * (nn/plan-convolutions.ts): weights held in the kernel's layout, the primitive kept per input
 * shape and the following ReLU/ReLU6/SiLU/Hardswish fused into the convolution. Layout first:
 * with `channelsLast` the weights are laid out NHWC before the plans are made, so the plans
 * share the model's tensors rather than holding older copies.
 *
 * @example
 *   const report = prepareForInference(model, { precision: 'bfloat16', inputSize: 224 });
 *   report.foldedBatchNorms; // 53 for resnet50
 */
import { autocast } from '../autograd/autocast.js';
import { foldBatchNorms } from '../nn/fold-batch-norm.js';
import { planConvolutions } from '../nn/plan-convolutions.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Linear } from '../nn/layers/linear.js';
import type { Module } from '../nn/module.js';
import { native } from '../native/binding.js';
import { randn } from '../tensor/creation.js';
import type { Device } from '../tensor/device.js';
import type { Precision } from '../runtime/device-choice.js';

export interface InferencePreparation {
  /** Batch norms folded into the convolution before them. */
  foldedBatchNorms: number;
  /** Convolution and linear layers whose weights are now stored in the reduced precision. */
  reducedLayers: number;
  /** Convolutions run as oneDNN plans (0 without oneDNN, on CUDA, or with `convPlans: false`). */
  plannedConvolutions: number;
  /** Activations fused into the planned convolution before them. */
  fusedActivations: number;
}

export interface PrepareForInferenceOptions {
  /** The precision the model will run in; 'float32' leaves the model as it is. */
  precision: Precision;
  /** The side of the square input used to trace the model once (its preprocessing's input size). */
  inputSize: number;
  device?: Device;
  /** Lay the weights out channels-last (as the route that runs the copy does). */
  channelsLast?: boolean;
  /** Run CPU convolutions as oneDNN plans (default true; false keeps aten::conv2d). */
  convPlans?: boolean;
}

/** Exact classes only: their forward is conv2d/linear, which autocast runs in the reduced precision. */
function plainConvOrLinear(m: Module): boolean {
  const kind: unknown = m.constructor;
  return kind === Conv2d || kind === Linear;
}

/** Prepares `model` in place for inference in `precision` (see the file comment). */
export function prepareForInference(model: Module, options: PrepareForInferenceOptions): InferencePreparation {
  model.eval();
  const device = options.device ?? 'cpu';
  const sample = randn([1, 3, options.inputSize, options.inputSize], { device });
  try {
    // float32 is the exact route: nothing folded or cast (its plans only keep oneDNN's
    // primitive and weight layout between calls: ~3e-7 of the logits, summation order).
    const reduced = options.precision !== 'float32';
    const foldedBatchNorms = reduced ? foldBatchNorms(model, sample) : 0;
    let reducedLayers = 0;
    for (const m of model.modules()) {
      if (!reduced || !plainConvOrLinear(m)) continue;
      m.to({ dtype: options.precision });
      reducedLayers++;
    }
    if (options.channelsLast) model.to({ memoryFormat: 'channelsLast' });
    // Plans are traced in the precision the copy runs in (CPU: float32 or bfloat16).
    const plan = () => planConvolutions(model, sample);
    const plans =
      device !== 'cpu' || options.convPlans === false || options.precision === 'float16'
        ? { plannedConvolutions: 0, fusedActivations: 0 }
        : reduced
          ? autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, plan)
          : plan();
    return { foldedBatchNorms, reducedLayers, ...plans };
  } finally {
    sample.dispose();
    // The float32 weights cast away and the plain copies the plans freed (two thirds of the
    // model's weight memory) sit in glibc's heap until trimmed: give them back now, once.
    native.mallocTrim();
  }
}
