/**
 * How unsure a model is of one photo, from its calibrated class probabilities (the head the
 * model answers with, at the calibration's temperature): the photos it is least sure of are the
 * ones whose labels should teach it most (uncertainty sampling; Settles, "Active Learning
 * Literature Survey", 2009, §3.1).
 *
 * - margin: p₁ − p₂, the top probability minus the runner-up's. Small when two classes compete —
 *   the typical doubt of fine-grained recognition (two look-alike species), and it ignores how
 *   the rest of the mass is spread over the many unlikely classes.
 * - entropy: −Σ pᵢ ln pᵢ in nats, over every class. Large when the mass is spread widely.
 *
 * Each measure is turned into one "uncertainty" score where higher means less sure
 * (`uncertaintyOf`): 1 − margin, or the entropy itself.
 *
 * @example
 *   margin([0.5, 0.3, 0.2]);              // 0.2
 *   entropy([0.5, 0.5]);                  // ln 2 ≈ 0.693
 *   uncertaintyOf([0.5, 0.3, 0.2], 'margin'); // 0.8
 */
import { topClasses } from '../evaluation/top-classes.js';

/** Which uncertainty ranks the photos: 'margin' (default) or 'entropy'. */
export type UncertaintyMeasure = 'margin' | 'entropy';

/** Every `UncertaintyMeasure`, the default first. */
export const UNCERTAINTY_MEASURES: readonly UncertaintyMeasure[] = ['margin', 'entropy'];

/** Whether `s` names an uncertainty measure. */
export function isUncertaintyMeasure(s: string): s is UncertaintyMeasure {
  return (UNCERTAINTY_MEASURES as readonly string[]).includes(s);
}

/** The index of the top class and of the runner-up (-1 when there is one class). */
export function topTwo(probs: ArrayLike<number>): [number, number] {
  const [a = -1, b = -1] = topClasses(probs, 2);
  return [a, b];
}

/** p₁ − p₂ (p₁ alone when there is one class). */
export function margin(probs: ArrayLike<number>): number {
  const [a, b] = topTwo(probs);
  return probs[a]! - (b < 0 ? 0 : probs[b]!);
}

/** −Σ pᵢ ln pᵢ in nats (0 · ln 0 counts 0). */
export function entropy(probs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/** The photo's uncertainty under `measure`: higher means the model is less sure. */
export function uncertaintyOf(probs: ArrayLike<number>, measure: UncertaintyMeasure): number {
  return measure === 'margin' ? 1 - margin(probs) : entropy(probs);
}
