/**
 * Weight initialisation (torch.nn.init): the in-place fills that layers use for their
 * defaults and that models use for their published schemes (Kaiming, Xavier, truncated
 * normal). Each runs without recording gradients and returns the tensor.
 *
 * `withoutInit(fn)` builds modules with their memory left uninitialised: the fast path when
 * every weight is about to be overwritten by a checkpoint (a 600M-parameter model would
 * otherwise spend seconds drawing random numbers it throws away).
 *
 * @example
 *   kaimingNormal_(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' });
 *   const model = withoutInit(() => createModel('regnet_y_128gf'));
 *
 * @module
 */
import { aten } from '../native/aten.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';

let skipDepth = 0;

/**
 * Runs `fn` with every initialiser of this file turned into a no-op, so modules built inside
 * keep uninitialised memory. Only for modules whose tensors are all loaded afterwards.
 *
 * @example
 *   const m = withoutInit(() => new Linear(4096, 4096));
 *   m.loadStateDict(checkpoint);
 */
export function withoutInit<T>(fn: () => T): T {
  skipDepth++;
  try {
    return fn();
  } finally {
    skipDepth--;
  }
}

/**
 * Whether initialisers run (false inside `withoutInit`).
 * @example if (initEnabled()) precomputeSomething();
 */
export function initEnabled(): boolean {
  return skipDepth === 0;
}

function fill(t: Tensor, f: () => void): Tensor {
  if (skipDepth === 0) noGrad(f);
  return t;
}

/** The nonlinearities `calculateGain` knows, with PyTorch's names (and 'linear' / 'conv2d' for none). */
export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/**
 * The recommended gain for a nonlinearity (PyTorch's `calculate_gain`): relu √2, tanh 5/3,
 * leaky_relu √(2 / (1 + slope²)) with slope `param` (default 0.01), selu 3/4, others 1.
 *
 * @example
 *   calculateGain('relu'); // 1.414...
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
  throw new TypeError(`calculateGain: unsupported nonlinearity '${nonlinearity as string}'`);
}

/**
 * Fan-in and fan-out of a weight: [out, in, ...kernel] gives in·k and out·k.
 *
 * @example
 *   fanInAndOut(convWeight); // { fanIn: 3 * 7 * 7, fanOut: 64 * 7 * 7 }
 */
export function fanInAndOut(t: Tensor): {
  /** Inputs each output sums over: input channels times the kernel's area. */
  fanIn: number;
  /** Outputs each input feeds: output channels times the kernel's area. */
  fanOut: number;
} {
  const shape = t.shape;
  if (shape.length < 2) throw new Error(`fan-in and fan-out need at least 2 dimensions, got [${shape}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/**
 * Fills with U(a, b).
 * @example uniform_(bias, -0.1, 0.1);
 */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return fill(t, () => t.uniform_(a, b));
}

/**
 * Fills with N(mean, std²).
 * @example normal_(fc.weight, 0, 0.01);
 */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return fill(t, () => t.normal_(mean, std));
}

/**
 * Fills with a constant.
 * @example constant_(bn.weight, 0.5);
 */
export function constant_(t: Tensor, value: number): Tensor {
  return fill(t, () => t.fill_(value));
}

/** @example zeros_(fc.bias); */
export function zeros_(t: Tensor): Tensor {
  return fill(t, () => t.zero_());
}

/** @example ones_(bn.weight); */
export function ones_(t: Tensor): Tensor {
  return fill(t, () => t.fill_(1));
}

/** Options of `kaimingUniform_` and `kaimingNormal_`, with PyTorch's defaults. */
export interface KaimingOptions {
  /** Negative slope of the leaky_relu that follows (default 0). */
  a?: number;
  /** Preserve the variance of activations ('fanIn', default) or of gradients ('fanOut'). */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity after the layer, which sets the gain (default 'leaky_relu', PyTorch's; with `a` 0 that is ReLU's √2). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' } = options;
  const { fanIn, fanOut } = fanInAndOut(t);
  return calculateGain(nonlinearity, a) / Math.sqrt(mode === 'fanIn' ? fanIn : fanOut);
}

/**
 * He et al. (2015) uniform: U(-b, b) with b = gain·√(3 / fan).
 * PyTorch's default for Conv2d and Linear weights is `{ a: Math.sqrt(5) }`.
 *
 * @example
 *   kaimingUniform_(linear.weight, { a: Math.sqrt(5) });
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound);
}

/**
 * He et al. (2015) normal: N(0, (gain / √fan)²).
 *
 * @example
 *   kaimingNormal_(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' }); // torchvision's ResNet
 */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options));
}

/**
 * Glorot & Bengio (2010) uniform: U(-b, b) with b = gain·√(6 / (fanIn + fanOut)).
 * @example xavierUniform_(attn.qkv.weight);
 */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fanInAndOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/**
 * Glorot & Bengio (2010) normal: N(0, gain²·2 / (fanIn + fanOut)).
 * @example xavierNormal_(w);
 */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fanInAndOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/**
 * N(mean, std²) truncated to [a, b] (absolute bounds, as PyTorch's `trunc_normal_`), by
 * inverting the normal CDF on a uniform draw between the bounds' CDF values.
 *
 * @example
 *   truncNormal_(vit.posEmbed, { std: 0.02 });
 */
export function truncNormal_(t: Tensor, options: { mean?: number; std?: number; a?: number; b?: number } = {}): Tensor {
  const { mean = 0, std = 1, a = -2, b = 2 } = options;
  const cdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const lo = cdf((a - mean) / std);
  const hi = cdf((b - mean) / std);
  return fill(t, () => {
    t.uniform_(2 * lo - 1, 2 * hi - 1);
    aten('erfinv_').callVoid(t.handle);
    t.mul_(std * Math.SQRT2).add_(mean);
    t.clamp_(a, b);
  });
}

// Abramowitz & Stegun 7.1.26 is too coarse near the tails; this series/continued-fraction
// pair is accurate to ~1e-15, enough for the CDF bounds above.
function erf(x: number): number {
  const sign = Math.sign(x);
  const z = Math.abs(x);
  if (z < 2.5) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return (sign * 2 * sum) / Math.sqrt(Math.PI);
  }
  // erfc continued fraction for large |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (z + f);
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
  return sign * (1 - erfc);
}
