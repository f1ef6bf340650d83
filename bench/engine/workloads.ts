/**
 * The finegrain side of bench/engine: the same work as torch_engine.py, written with
 * finegrain's public API the way a user would (conv2d, autocast, scope, backward,
 * Tensor.add, dispose), plus the C++ floors from cpp-floors.cc (an addon of this benchmark's own).
 *
 * @example
 *   const c = new ConvCase(CONV_SHAPE, 'bf16-channels-last', 'cpu');
 *   const ms = c.time(1, 5);   // one untimed step, then five timed steps
 *   c.dispose();
 */
import { autocast, conv2d, cuda, noGrad, randn, scope, zeros, type Device, type Tensor } from '../../src/index.js';
import { native, type Handle } from '../../src/native/binding.js';
import { cppFloors } from './cpp-floors.js';

/** The convolution the issue asks for: batch 16, 64 -> 64 channels, 56x56, 3x3, padding 1. */
export interface ConvShape {
  batch: number;
  inChannels: number;
  outChannels: number;
  size: number;
  kernel: number;
  padding: number;
}

export const CONV_SHAPE: ConvShape = { batch: 16, inChannels: 64, outChannels: 64, size: 56, kernel: 3, padding: 1 };

/** fp32 in the default (NCHW) layout, or bf16 autocast on channels-last input and weight. */
export type ConvMode = 'fp32' | 'bf16-channels-last';

/** [dtype, shape, strides] of the tensors a step makes: compared with the PyTorch side's. */
export type Signature = Record<'y' | 'gradOut' | 'xGrad' | 'wGrad', [string, number[], number[]]>;

const sig = (t: Tensor): [string, number[], number[]] => [t.dtype, t.shape, t.strides];

/** conv2d forward + backward on fixed tensors, with grads set to null after each step. */
export class ConvCase {
  readonly x: Tensor;
  readonly w: Tensor;
  readonly b: Tensor;
  readonly gradOut: Tensor;
  private readonly autocast: boolean;
  private readonly deviceType: 'cpu' | 'cuda';

  constructor(
    readonly shape: ConvShape,
    mode: ConvMode,
    readonly device: Device,
  ) {
    const { batch, inChannels, outChannels, size, kernel } = shape;
    this.autocast = mode === 'bf16-channels-last';
    this.deviceType = device === 'cpu' ? 'cpu' : 'cuda';
    const format = this.autocast ? 'channelsLast' : 'contiguous';
    [this.x, this.w, this.b, this.gradOut] = scope(() => {
      const x = randn([batch, inChannels, size, size], { device }).contiguous(format).requiresGrad_();
      const w = randn([outChannels, inChannels, kernel, kernel], { device }).mul(0.05).contiguous(format).requiresGrad_();
      const b = zeros([outChannels], { device, requiresGrad: true });
      const probe = noGrad(() => this.forwardOf(x, w, b));
      const gradOut = randn(probe.shape, { device }).to({ dtype: probe.dtype }).contiguous(format);
      return [x.keep(), w.keep(), b.keep(), gradOut.keep()];
    });
  }

  private forwardOf(x: Tensor, w: Tensor, b: Tensor): Tensor {
    const run = (): Tensor => conv2d(x, w, b, { padding: this.shape.padding });
    return this.autocast ? autocast({ deviceType: this.deviceType, dtype: 'bfloat16' }, run) : run();
  }

  /** One training-style step: forward, backward, then drop the grads (zero_grad(set_to_none)). */
  step(): void {
    scope(() => this.forwardOf(this.x, this.w, this.b).backward(this.gradOut));
    this.x.grad = null;
    this.w.grad = null;
    this.b.grad = null;
  }

  /** `warmup` untimed steps, then milliseconds of each of `iters` steps (CUDA synchronised). */
  time(warmup: number, iters: number): number[] {
    for (let i = 0; i < warmup; i++) this.step();
    const ms: number[] = [];
    for (let i = 0; i < iters; i++) {
      this.sync();
      const start = process.hrtime.bigint();
      this.step();
      this.sync();
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return ms;
  }

  private sync(): void {
    if (this.deviceType === 'cuda') cuda.synchronize();
  }

  signature(): Signature {
    return scope(() => {
      const y = this.forwardOf(this.x, this.w, this.b);
      y.backward(this.gradOut);
      const out: Signature = { y: sig(y), gradOut: sig(this.gradOut), xGrad: sig(this.x.grad!), wGrad: sig(this.w.grad!) };
      this.x.grad = this.w.grad = this.b.grad = null;
      return out;
    });
  }

  dispose(): void {
    for (const t of [this.x, this.w, this.b, this.gradOut]) t.dispose();
  }
}

/** The ways of making the same tiny add, from the C++ floor up to the user-facing API. */
export type AddVariant = 'cppUnboxed' | 'cppBoxed' | 'nativeCall' | 'nativeFast' | 'tensorApi';

export const ADD_VARIANTS: readonly AddVariant[] = ['cppUnboxed', 'cppBoxed', 'nativeCall', 'nativeFast', 'tensorApi'];

/**
 * Nanoseconds per add of two `numel`-element tensors for every variant, `n` adds per loop:
 * `warmup` untimed loops, then `loops` timed loops per variant, taken in turn (one loop of
 * each variant, then the next round), so that a change in the machine's load touches all
 * variants alike. Each result is freed before the next add.
 */
export function timeAddBlock(numel: number, n: number, warmup: number, loops: number): Record<AddVariant, number[]> {
  const a = randn([numel]);
  const b = randn([numel]);
  const out = Object.fromEntries(ADD_VARIANTS.map((v) => [v, [] as number[]])) as Record<AddVariant, number[]>;
  try {
    for (let rep = 0; rep < warmup + loops; rep++) {
      for (const v of ADD_VARIANTS) {
        const ns = ADD_LOOPS[v](a, b, n);
        if (rep >= warmup) out[v].push(ns / n);
      }
    }
  } finally {
    a.dispose();
    b.dispose();
  }
  return out;
}

const addOp = native.op('aten::add', 'Tensor');
const floats = (t: Tensor) => t.toTypedArray() as Float32Array;

const ADD_LOOPS: Record<AddVariant, (a: Tensor, b: Tensor, n: number) => number> = {
  // the same at::add calls made from C++ in this process (timed inside C++, on tensors made
  // there from the operands' elements: handles belong to the library's addon)
  cppUnboxed: (a, b, n) => cppFloors().addLoop(floats(a), floats(b), n),
  // through the boxed dispatcher, as finegrain's generic call does (timed inside C++)
  cppBoxed: (a, b, n) => cppFloors().addLoopBoxed(floats(a), floats(b), n),
  // the raw binding: one N-API call per add, handles only, no Tensor objects
  nativeCall: (a, b, n) => {
    const ha = a.handle;
    const hb = b.handle;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) native.dispose(native.call(addOp, ha, hb) as Handle);
    return Number(process.hrtime.bigint() - start);
  },
  // the element-wise fast path Tensor.add takes (native/src/fast.cc), handles only
  nativeFast: (a, b, n) => {
    const ha = a.handle;
    const hb = b.handle;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) native.dispose(native.add(ha, hb));
    return Number(process.hrtime.bigint() - start);
  },
  // what users write in a hot loop: inside a scope, each result freed at once
  tensorApi: (a, b, n) => {
    const start = process.hrtime.bigint();
    scope(() => {
      for (let i = 0; i < n; i++) {
        const c = a.add(b);
        c.dispose();
      }
    });
    native.flushFrees(); // dispose() defers frees to the next native call: count the last one too
    return Number(process.hrtime.bigint() - start);
  },
};
