/**
 * FLOP counting as the model zoos report it: one multiply-add of a convolution, linear
 * layer or matrix product counts as one FLOP (torchvision's "GFLOPS" column, timm's GMACs);
 * normalisation, activations, pooling and additions are not counted.
 *
 * Counting runs one forward pass on a zero image in eval mode without gradients: layers that
 * do multiply-adds report them with `addFlops` while a count is active, so any module
 * (including ones written later, e.g. attention matmuls) can take part. Conv2d and Linear
 * skip their arithmetic during a count (they pass zeros of the right shape on), so counting
 * a 128-GFLOP RegNet takes milliseconds, not minutes.
 *
 * @example
 *   const { gflops } = countFlops(createModel('resnet50'), [3, 224, 224]);  // ≈ 4.09
 */
import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import type { Module } from './module.js';

const active: { macs: number }[] = [];

/**
 * Adds multiply-adds to the counts in progress (a no-op when none is).
 *
 * @example
 *   // in a layer's forward, after computing `out = a.matmul(b)` with a [.., n, k]:
 *   if (flopsCounting()) addFlops(out.numel * k);
 */
export function addFlops(macs: number): void {
  for (const c of active) c.macs += macs;
}

/**
 * Whether a count is in progress (layers skip the bookkeeping otherwise).
 * @example if (flopsCounting()) addFlops(out.numel * inFeatures);
 */
export function flopsCounting(): boolean {
  return active.length > 0;
}

/** The cost of one forward pass, as `countFlops`, `countFlopsOf` and `Module.flops` report it. */
export interface FlopCount {
  /** Multiply-adds of one forward pass on one image. */
  macs: number;
  /** macs / 1e9, the unit of torchvision's documentation. */
  gflops: number;
}

/**
 * Counts the multiply-adds of `fn` (which runs one forward pass).
 *
 * @example
 *   const { macs } = countFlopsOf(() => attention.forward(x));
 */
export function countFlopsOf(fn: () => void): FlopCount {
  const counter = { macs: 0 };
  active.push(counter);
  try {
    fn();
  } finally {
    active.splice(active.indexOf(counter), 1);
  }
  return { macs: counter.macs, gflops: counter.macs / 1e9 };
}

/**
 * The multiply-adds of `model` on one input of `inputSize` ([C, H, W]), counted in eval mode
 * (each module's mode is restored afterwards).
 *
 * @example
 *   countFlops(createModel('mobilenet_v2'), [3, 224, 224]).gflops; // ≈ 0.30
 */
export function countFlops(model: Module, inputSize: readonly number[]): FlopCount {
  // Restore each module's own mode: some may be in eval on purpose (frozen BatchNorm).
  const modes = model.modules().map((m) => [m, m.training] as const);
  const first = model.parameters()[0];
  model.eval();
  try {
    return countFlopsOf(() =>
      noGrad(() =>
        scope(() => {
          model.forward(zeros([1, ...inputSize], first ? { device: first.device, dtype: first.dtype } : {}));
        }),
      ),
    );
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
}
