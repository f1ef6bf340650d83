/**
 * Learning-rate schedule: linear warm-up, then cosine decay to `minLrRatio * lr` — the
 * schedule of the seed's competition recipe (and timm's default). Computed per optimiser
 * step from the step index alone, so a resumed run gets the same rate at the same step.
 *
 * @example
 *   const lrAt = cosineWithWarmup({ lr: 0.01, totalSteps: 1000, warmupSteps: 50 });
 *   lrAt(0);    // 0.01 / 50
 *   lrAt(525);  // ~0.005
 */
export interface CosineScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Optimiser steps in the whole run; the rate reaches its floor at the last one. */
  totalSteps: number;
  /** Steps of linear warm-up from lr / warmupSteps to lr (default 0: none). */
  warmupSteps?: number;
  /** Final rate as a fraction of `lr` (default 0.01). */
  minLrRatio?: number;
}

/**
 * The learning rate at each optimiser step (0-based) for linear warm-up then cosine decay:
 * set it on the optimiser's groups before each step.
 *
 * @example
 *   const lrAt = cosineWithWarmup({ lr: 0.01, totalSteps: 1000, warmupSteps: 50 });
 *   for (const g of opt.paramGroups) g.lr = lrAt(step);
 */
export function cosineWithWarmup(options: CosineScheduleOptions): (step: number) => number {
  const { lr, totalSteps } = options;
  const warmup = Math.min(options.warmupSteps ?? 0, Math.max(0, totalSteps - 1));
  const floor = lr * (options.minLrRatio ?? 0.01);
  return (step: number) => {
    if (step < warmup) return (lr * (step + 1)) / warmup;
    const span = Math.max(1, totalSteps - warmup);
    const progress = Math.min(1, (step - warmup) / span);
    return floor + (lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}
