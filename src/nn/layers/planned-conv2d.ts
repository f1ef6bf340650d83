/**
 * A `Conv2d` run as a oneDNN plan, for inference copies (see native/src/onednn-conv.cc): the
 * weights are held in the kernel's own blocked layout and the primitive is kept per input
 * shape, instead of both being redone on every aten::conv2d call, and the activation that
 * follows the convolution (ReLU, ReLU6, SiLU, Hardswish) is applied to its accumulator as a
 * post-op instead of as a second pass over memory. Inputs are taken in the weights' dtype and
 * channels-last; the output is channels-last in that dtype, as autocast's convolution gives.
 *
 * The plan records nothing for autograd: an input that requires grad (Grad-CAM's pass through
 * a convolutional head) takes aten::conv2d and the activation instead, the same arithmetic.
 * The layer's parameters are the convolution's own tensors (not copies), so its keys and its
 * state dict are the same; moving them (`to()`) afterwards would leave the plan behind. The
 * plan's reordered weights are native memory freed by `dispose()`. Build one through
 * `planConvolutions` (src/nn/plan-convolutions.ts), which decides what is exact.
 *
 * Two copies of the weights — the plain one and the plan's reordered one — are one too many
 * for a served model (168 MB of bfloat16 on regnet_y_16gf). With `releasePlainWeight` the
 * layer takes the weight tensor over and frees it after its first run: the plan's copy is
 * then the only one, `weight` is null (so the state dict has no `weight` for this layer), and
 * `plainWeight()` rebuilds it exactly (a reorder copies values, it does not round them) for
 * the autograd route or anyone who needs it.
 *
 * @example
 *   if (PlannedConv2d.available()) model.setSubmodule('features.0.0', new PlannedConv2d(conv, 'relu6'));
 */
import { native } from '../../native/binding.js';
import { scope } from '../../tensor/scope.js';
import { Tensor } from '../../tensor/tensor.js';
import { hardswish, relu, relu6, silu } from '../functional/activation.js';
import { pair } from '../functional/args.js';
import { conv2d, type Conv2dOptions } from '../functional/conv.js';
import { Module } from '../module.js';
import type { Conv2d } from './conv2d.js';

/** The activation applied inside the convolution. */
export type ConvPostOp = 'none' | 'relu' | 'relu6' | 'silu' | 'hardswish';

/** The activation after aten::conv2d, for the autograd fallback. */
function activate(y: Tensor, post: ConvPostOp): Tensor {
  if (post === 'relu') return relu(y);
  if (post === 'relu6') return relu6(y);
  if (post === 'silu') return silu(y);
  if (post === 'hardswish') return hardswish(y);
  return y;
}

/** Left and right zero padding per spatial axis, as PyTorch pads for the layer's setting. */
function paddingOf(conv: Conv2d): { left: number[]; right: number[] } {
  if (conv.padding === 'valid') return { left: [0, 0], right: [0, 0] };
  if (conv.padding === 'same') {
    // PyTorch puts the odd pixel of 'same' padding on the right/bottom.
    const d = pair(conv.dilation, 'dilation');
    const total = conv.kernelSize.map((k, i) => d[i]! * (k - 1));
    const left = total.map((t) => Math.floor(t / 2));
    return { left, right: total.map((t, i) => t - left[i]!) };
  }
  const p = pair(conv.padding, 'padding');
  return { left: p, right: p };
}

/**
 * Outputs of plans made with `markOutputs`, with the activation already applied and the
 * version counter they had then: a shared activation module (resnet's blocks call one ReLU
 * twice) can pass such a tensor through instead of activating it again — unless something
 * changed it in place since (then its version differs).
 */
const activated = new WeakMap<Tensor, { post: ConvPostOp; version: number }>();

/** Whether `x` is a marked plan's output, activated with `post` and unchanged since. */
export function alreadyActivated(x: Tensor, post: ConvPostOp): boolean {
  const mark = activated.get(x);
  return mark !== undefined && mark.post === post && !x.isDisposed && native.version(x.handle) === mark.version;
}

/** Options of `PlannedConv2d`. */
export interface PlannedConv2dOptions {
  /** Mark each output for `alreadyActivated` (for activations fused out of a shared module). */
  markOutputs?: boolean;
  /**
   * Free the weight tensor after the first run, keeping only the plan's reordered copy (see
   * the file comment). The layer owns `conv.weight` from then on: the convolution given must
   * not run again unless its weight is replaced (e.g. with `plainWeight()`).
   */
  releasePlainWeight?: boolean;
}

/**
 * A `Conv2d` run as a oneDNN plan for inference: weights kept in the kernel's blocked layout,
 * the primitive kept per input shape, and the following activation fused in. Made by
 * `planConvolutions`, which checks that the model's outputs stay within tolerance.
 */
export class PlannedConv2d extends Module {
  /** The convolution's weight; null once released (`releasePlainWeight`): see `plainWeight()`. */
  declare readonly weight: Tensor | null;
  /** The convolution's bias (shared with it), or null. */
  declare readonly bias: Tensor | null;
  /** The activation fused into the convolution ('none' for none). */
  readonly postOp: ConvPostOp;
  #plan: object | null;
  readonly #geometry: Conv2dOptions;
  readonly #markOutputs: boolean;
  #releasePending: boolean;
  /** The weight's layout when given, which `plainWeight()` gives back. */
  readonly #channelsLastWeight: boolean;

  /** Whether this build of the addon has oneDNN plans. */
  static available(): boolean {
    return native.convPlanAvailable();
  }

  /** Plans `conv` (its weights stay shared with it); `postOp` is the activation to fuse. */
  constructor(conv: Conv2d, postOp: ConvPostOp = 'none', options: PlannedConv2dOptions = {}) {
    super();
    this.#markOutputs = options.markOutputs === true && postOp !== 'none';
    this.#releasePending = options.releasePlainWeight === true;
    this.#channelsLastWeight = !conv.weight.isContiguous() && conv.weight.isContiguous('channelsLast');
    if (conv.padding === 'same' && pair(conv.stride, 'stride').some((s) => s !== 1)) throw new RangeError("PlannedConv2d: 'same' padding needs stride 1");
    this.registerParameter('weight', conv.weight);
    this.registerParameter('bias', conv.bias);
    this.postOp = postOp;
    this.#geometry = { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups };
    const { left, right } = paddingOf(conv);
    const [kind, alpha, beta] = postOp === 'relu6' ? (['clip', 0, 6] as const) : postOp === 'silu' ? (['swish', 1, 0] as const) : ([postOp, 0, 0] as const);
    this.#plan = native.convPlanCreate(
      conv.weight.handle,
      conv.bias?.handle ?? null,
      pair(conv.stride, 'stride'),
      left,
      right,
      pair(conv.dilation, 'dilation'),
      conv.groups,
      kind,
      alpha,
      beta,
    );
  }

  forward(x: Tensor): Tensor {
    if (!this.#plan) throw new Error('PlannedConv2d: the layer was disposed');
    if (x.requiresGrad) {
      return scope(() => activate(conv2d(x, this.weight ?? this.plainWeight(), this.bias, this.#geometry), this.postOp));
    }
    const y = new Tensor(native.convPlanRun(this.#plan, x.handle));
    if (this.#releasePending) this.#releaseWeight();
    if (this.#markOutputs) activated.set(y, { post: this.postOp, version: native.version(y.handle) });
    return y;
  }

  /** The plan now has its reordered copy: the plain tensor goes (see `releasePlainWeight`). */
  #releaseWeight(): void {
    this.#releasePending = false;
    native.convPlanReleaseWeight(this.#plan!);
    const w = this.weight;
    this.registerParameter('weight', null);
    w?.dispose();
  }

  /**
   * The weight [O, I/g, kH, kW] in the layout it was given, as a tensor the caller owns: a
   * handle on `weight` while the layer holds it, else rebuilt from the plan's copy (the same
   * values).
   * @example const w = layer.plainWeight(); conv.weight = w; // a Conv2d back from a released plan
   */
  plainWeight(): Tensor {
    if (!this.#plan) throw new Error('PlannedConv2d: the layer was disposed');
    const w = new Tensor(native.convPlanWeight(this.#plan));
    if (!this.#channelsLastWeight || w.isContiguous('channelsLast')) return w;
    try {
      return w.contiguous('channelsLast');
    } finally {
      w.dispose();
    }
  }

  /**
   * Input shapes planned so far, the bytes of reordered weights the plan holds, and whether
   * the layer still holds its plain weight too.
   */
  planInfo(): {
    /** Input shapes planned so far (one primitive each). */
    variants: number;
    /** Bytes of reordered weights the plan holds. */
    weightBytes: number;
    /** Whether the layer still holds its plain weight too. */
    holdsLayerWeight: boolean;
    /**
     * The largest oneDNN scratchpad one run asks for: taken per run (from the tensor cache while
     * one is held) and freed after it, never held by the plan — a pad per variant kept for the
     * plan's life cost ~4 MiB a batch size on mobilenet_v2 (bench/serve).
     */
    scratchpadBytes: number;
  } {
    if (!this.#plan) return { variants: 0, weightBytes: 0, holdsLayerWeight: false, scratchpadBytes: 0 };
    return native.convPlanInfo(this.#plan);
  }

  /** Frees the plan's native memory (not the weights, which are the convolution's); forward then throws. */
  releasePlan(): void {
    if (this.#plan) native.convPlanDispose(this.#plan);
    this.#plan = null;
  }

  protected override releaseNative(): void {
    this.releasePlan();
  }
}
