/**
 * Fitting a run into a wall-clock budget: how many epochs at the base resolution and how many
 * in the final high-resolution phase, from measured costs, and the re-plan after each epoch
 * when the machine turns out slower (or faster) than measured.
 *
 * The cost model: an epoch at side s costs `images · t(s) · ρ + valImages · t(s) · EVAL_SHARE`
 * seconds, where t(s) is the probe's forward + backward time per image (speed-probe.ts) and ρ
 * corrects it for what the probe leaves out (decoding, augmentation, the optimiser, a busy
 * machine): 1.15 until the first epoch is measured, then measured/predicted of the epochs so
 * far. Sizes the probe did not measure scale with the pixel count.
 *
 * The split, as fine-grained competition practice has it (the seed's 512 → 960 step): most
 * epochs at the base size, where an epoch is cheap, and a final phase at the data's own
 * resolution that gets `finalShare` of the training time — at least one epoch, or the final
 * size comes down in steps of 32 until one fits (and without room for one, there is no final
 * phase). Epoch counts are capped where more stop paying
 * (`maxEpochs`); time left over is not spent.
 *
 * @example
 *   const plan = planBudget({ budgetSeconds: 1800, images: 835, valImages: 97, baseSize: 224, finalSize: 448,
 *                             secondsPerImage: new Map([[224, 0.035], [448, 0.14]]) });
 *   plan.epochs; plan.finalEpochs; plan.finalImageSize; plan.projectedSeconds;
 */

/** Validation passes cost about a third of a training step per image (forward only). */
export const EVAL_SHARE = 0.35;
/** ρ before any epoch is measured: the probe leaves out decoding and the optimiser. */
export const INITIAL_CORRECTION = 1.15;

export interface BudgetInput {
  /** Seconds the whole run may take. */
  budgetSeconds: number;
  /** Seconds already used (model build, the probe; on resume, the epochs before). */
  usedSeconds?: number;
  /** Seconds to keep for the end of the run (final evaluation, writing files). */
  reserveSeconds?: number;
  images: number;
  valImages: number;
  /** The base training size and the size of the final phase (the data's own resolution). */
  baseSize: number;
  finalSize: number;
  /** Probe: seconds per training image at measured sizes. */
  secondsPerImage: ReadonlyMap<number, number>;
  /** ρ, measured/predicted seconds of the epochs so far (default INITIAL_CORRECTION). */
  correction?: number;
  /** Share of the training time the final phase gets (default 0.45). */
  finalShare?: number;
  /** Caps: base-size epochs and final-phase epochs (defaults 40 and 12). */
  maxEpochs?: number;
  maxFinalEpochs?: number;
  /** Fewest epochs worth a run (default 3): below it the final size comes down first. */
  minEpochs?: number;
}

export interface BudgetPlan {
  /** Total epochs, the final phase included (the run's `epochs`). */
  epochs: number;
  /** Epochs at finalImageSize (0: the whole run at imageSize). */
  finalEpochs: number;
  imageSize: number;
  finalImageSize: number;
  /** Seconds the planned epochs should take, at the cost model's rates. */
  projectedSeconds: number;
  /** Seconds per epoch at each of the two sizes, as planned. */
  epochSeconds: { base: number; final: number };
  /** Why the plan is what it is, one line each, for the log and plan.json. */
  reasons: string[];
}

/** Seconds per training image at `size`: measured, else the nearest measured size scaled by pixels. */
export function secondsPerImageAt(measured: ReadonlyMap<number, number>, size: number): number {
  const exact = measured.get(size);
  if (exact !== undefined) return exact;
  if (!measured.size) throw new Error('secondsPerImageAt: nothing measured');
  let nearest = [...measured.keys()][0]!;
  for (const s of measured.keys()) if (Math.abs(s - size) < Math.abs(nearest - size)) nearest = s;
  return measured.get(nearest)! * (size / nearest) ** 2;
}

/** Seconds one epoch takes at `size` under the cost model. */
export function epochSecondsAt(input: Pick<BudgetInput, 'images' | 'valImages' | 'secondsPerImage' | 'correction'>, size: number): number {
  const t = secondsPerImageAt(input.secondsPerImage, size);
  return input.images * t * (input.correction ?? INITIAL_CORRECTION) + input.valImages * t * EVAL_SHARE;
}

/** Seconds for messages: whole seconds, tenths below ten. */
function seconds(x: number): string {
  return `${x < 10 ? x.toFixed(1) : x.toFixed(0)} s`;
}

/** Sizes from `finalSize` down to `baseSize` in steps of 32. */
function candidateFinalSizes(baseSize: number, finalSize: number): number[] {
  const sizes = [];
  for (let s = finalSize; s > baseSize; s -= 32) sizes.push(s);
  return sizes;
}

/** The plan for a fresh run: epochs at each size that end inside the budget. */
export function planBudget(input: BudgetInput): BudgetPlan {
  const available = input.budgetSeconds - (input.usedSeconds ?? 0) - (input.reserveSeconds ?? 0);
  const finalShare = input.finalShare ?? 0.45;
  const maxEpochs = input.maxEpochs ?? 40;
  const maxFinal = input.maxFinalEpochs ?? 12;
  const minEpochs = input.minEpochs ?? 3;
  const base = epochSecondsAt(input, input.baseSize);
  const reasons: string[] = [];
  for (const finalSize of candidateFinalSizes(input.baseSize, input.finalSize)) {
    const final = epochSecondsAt(input, finalSize);
    const finalEpochs = Math.min(maxFinal, Math.floor((available * finalShare) / final));
    const baseEpochs = Math.min(maxEpochs, Math.floor((available - finalEpochs * final) / base));
    if (finalEpochs < 1 || baseEpochs + finalEpochs < minEpochs || baseEpochs < 1) {
      reasons.push(`${finalSize} px: an epoch takes ${seconds(final)}, more than the final phase's share of the budget allows; trying smaller`);
      continue;
    }
    if (finalSize < input.finalSize) reasons.push(`final size lowered from ${input.finalSize} to ${finalSize} px so that ≥ ${minEpochs} epochs fit`);
    reasons.push(
      `${baseEpochs} epoch(s) at ${input.baseSize} px (${seconds(base)} each) + ${finalEpochs} at ${finalSize} px (${seconds(final)} each): ` +
        `${Math.round(finalShare * 100)} % of the time at the final size, capped at ${maxEpochs} + ${maxFinal} epochs`,
    );
    return {
      epochs: baseEpochs + finalEpochs,
      finalEpochs,
      imageSize: input.baseSize,
      finalImageSize: finalSize,
      projectedSeconds: baseEpochs * base + finalEpochs * final,
      epochSeconds: { base, final },
      reasons,
    };
  }
  // Not even one final epoch fits: the whole run at the base size.
  const epochs = Math.max(1, Math.min(maxEpochs, Math.floor(available / base)));
  if (epochs * base > available)
    reasons.push(`the budget is below one epoch (${seconds(base)} at ${input.baseSize} px): one epoch runs anyway and will overrun`);
  const why = input.finalSize <= input.baseSize ? 'the final size is the base size' : 'the budget has no room for one';
  reasons.push(`${epochs} epoch(s) at ${input.baseSize} px (${seconds(base)} each), no final phase: ${why}`);
  return {
    epochs,
    finalEpochs: 0,
    imageSize: input.baseSize,
    finalImageSize: input.baseSize,
    projectedSeconds: epochs * base,
    epochSeconds: { base, final: base },
    reasons,
  };
}

/** Where a run stands when it re-plans: after `epochsDone` epochs, `usedSeconds` into the budget. */
export interface ReplanInput {
  plan: Pick<BudgetPlan, 'epochs' | 'finalEpochs' | 'imageSize' | 'finalImageSize'>;
  epochsDone: number;
  budgetSeconds: number;
  usedSeconds: number;
  reserveSeconds?: number;
  /** Seconds an epoch now costs at each size (the cost model with the measured ρ). */
  epochSeconds: { base: number; final: number };
  /** The final phase's share of the training time (the plan's). */
  finalShare?: number;
  /** Seconds that went before training (listing, the probe): not training time. */
  setupSeconds?: number;
  /** The plan's caps on base-size and final-phase epochs. */
  maxEpochs?: number;
  maxFinalEpochs?: number;
}

/**
 * The remaining epochs planned again for the time that is left, at the costs measured so far.
 * In the base phase the rest is split as the plan split it (the final phase gets its share of
 * the whole training time, as many epochs as that buys, at least one while one fits); in the
 * final phase only final epochs remain. A run out of time ends early. Returns null when the
 * plan stands.
 */
export function replanBudget(input: ReplanInput): { epochs: number; finalEpochs: number; reason: string } | null {
  const { epochsDone } = input;
  const left = input.budgetSeconds - input.usedSeconds - (input.reserveSeconds ?? 0);
  const split = splitRemaining(input, left);
  const now = { b: split.baseLeft, f: split.finalLeft };
  const cost = (x: { b: number; f: number }) => x.b * input.epochSeconds.base + x.f * input.epochSeconds.final;
  let next = { b: split.b, f: split.f };
  // Hysteresis: a longer plan must still fit with half an epoch to spare, so that timing
  // noise does not add and remove the same epoch (and move the schedule) every time.
  if (cost(next) > cost(now)) {
    const margin = 0.5 * (split.baseLeft > 0 ? input.epochSeconds.base : input.epochSeconds.final);
    const cautious = splitRemaining(input, left - margin);
    next = cost(cautious) > cost(now) ? { b: cautious.b, f: cautious.f } : now;
  }
  if (next.b === now.b && next.f === now.f) return null;
  const { base, final } = input.epochSeconds;
  return {
    epochs: epochsDone + next.b + next.f,
    finalEpochs: split.finalDone + next.f,
    reason: `after epoch ${epochsDone}: ${Math.round(left)} s left, epochs now cost ${seconds(base)} / ${seconds(final)} → ${next.b} base + ${next.f} final epoch(s) to go (was ${now.b} + ${now.f})`,
  };
}

/** The remaining base and final epochs that `left` seconds buy, split as the plan splits. */
function splitRemaining(input: ReplanInput, left: number): { b: number; f: number; baseLeft: number; finalLeft: number; finalDone: number } {
  const { plan, epochsDone } = input;
  const hasFinal = plan.finalEpochs > 0 && plan.finalImageSize !== plan.imageSize;
  const baseDone = Math.min(epochsDone, plan.epochs - plan.finalEpochs);
  const baseLeft = plan.epochs - plan.finalEpochs - baseDone;
  const finalDone = epochsDone - baseDone;
  const finalLeft = plan.finalEpochs - finalDone;
  const { base, final } = input.epochSeconds;
  const maxBase = input.maxEpochs ?? 40;
  const maxFinal = input.maxFinalEpochs ?? 12;
  let b: number;
  let f: number;
  if (baseLeft > 0 && hasFinal) {
    const training = input.usedSeconds - (input.setupSeconds ?? 0) + left;
    f = Math.min(maxFinal, Math.floor(((input.finalShare ?? 0.45) * training) / final));
    f = Math.max(Math.min(1, Math.floor(left / final)), Math.min(f, Math.floor(left / final)));
    b = Math.max(0, Math.min(maxBase - baseDone, Math.floor((left - f * final) / base)));
  } else if (baseLeft > 0) {
    f = 0;
    b = Math.max(0, Math.min(maxBase - baseDone, Math.floor(left / base)));
  } else {
    b = 0;
    f = Math.max(0, Math.min(maxFinal, Math.floor(left / final)));
  }
  return { b, f, baseLeft, finalLeft, finalDone };
}
