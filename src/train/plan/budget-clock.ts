/**
 * A budget run's clock and cost model while it trains: seconds used so far (across resumes:
 * the checkpoint carries them), the probe's seconds per image, and the correction ρ each
 * finished epoch measures (per image size, since decoding weighs more at small sizes). After
 * every epoch it re-plans the remaining epochs (budget-plan.ts `replanBudget`).
 *
 * @example
 *   const clock = new BudgetClock(plan, 0, performance.now());
 *   // after an epoch at 224 px that took 41 s:
 *   const change = clock.afterEpoch({ size: 224, seconds: 41, epochsDone: 1, config });
 */
import type { TrainConfig } from '../config.js';
import { INITIAL_CORRECTION, EVAL_SHARE, replanBudget, secondsPerImageAt } from './budget-plan.js';
import type { RunPlan } from './plan-run.js';

export class BudgetClock {
  private readonly correction = new Map<number, number>();
  private lastCorrection = INITIAL_CORRECTION;

  constructor(
    readonly plan: RunPlan & { budget: NonNullable<RunPlan['budget']> },
    /** Seconds the run had used before this invocation (a resumed run's checkpoint says). */
    private readonly usedBefore: number,
    /** When this invocation's clock started (performance.now()): before listing and probing. */
    private readonly started: number,
  ) {}

  /** Seconds of the budget used so far. */
  used(): number {
    return this.usedBefore + (performance.now() - this.started) / 1000;
  }

  /** Seconds an epoch at `size` costs now: the probe's rate, corrected by what epochs measured. */
  epochSeconds(size: number): number {
    const b = this.plan.budget;
    const t = secondsPerImageAt(new Map(b.secondsPerImage), size);
    return (b.images + b.valImages * EVAL_SHARE) * t * (this.correction.get(size) ?? this.lastCorrection);
  }

  /**
   * Records an epoch's wall time (training, validation, checkpoint) and re-plans. Returns the
   * new epoch counts and why, or null when the plan stands.
   */
  afterEpoch(e: { size: number; seconds: number; epochsDone: number; config: TrainConfig }): { epochs: number; finalEpochs: number; reason: string } | null {
    const b = this.plan.budget;
    const t = secondsPerImageAt(new Map(b.secondsPerImage), e.size);
    const measured = e.seconds / ((b.images + b.valImages * EVAL_SHARE) * t);
    // The first epoch at a size in this process also pays one-off costs (kernels built for
    // the new shapes, the loader starting): on a small dataset they can outweigh the epoch
    // itself, so that epoch may not shorten the plan by more than twice the probe's
    // correction. The next epoch at the size measures the steady rate.
    const rho = this.correction.has(e.size) ? measured : Math.min(measured, 2 * INITIAL_CORRECTION);
    this.correction.set(e.size, rho);
    this.lastCorrection = rho;
    const c = e.config;
    const finalSize = c.finalImageSize ?? c.imageSize;
    return replanBudget({
      plan: { epochs: c.epochs, finalEpochs: c.finalImageSize ? c.finalEpochs : 0, imageSize: c.imageSize, finalImageSize: finalSize },
      epochsDone: e.epochsDone,
      budgetSeconds: b.seconds,
      usedSeconds: this.used(),
      reserveSeconds: b.reserveSeconds,
      epochSeconds: { base: this.epochSeconds(c.imageSize), final: this.epochSeconds(finalSize) },
      finalShare: b.finalShare,
      setupSeconds: b.plannedAt,
      maxEpochs: b.maxEpochs,
      maxFinalEpochs: b.maxFinalEpochs,
    });
  }
}
