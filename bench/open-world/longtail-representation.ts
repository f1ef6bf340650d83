/**
 * What the long-tail head of bench/open-world is trained and scored on, chosen like its τ:
 * by cross-validation on the long-tailed training set, never by the test set.
 *
 * Five representations of the frozen embeddings, each a standard, cheap remedy for a class
 * that has 3 photos:
 *   - `raw`: the embedding of the photo;
 *   - `raw, mirror TTA`: scored on the mean of the photo's and its mirror image's embeddings;
 *   - `raw + mirror, mirror TTA`: the mirror images also train the head (twice the rows);
 *   - `L2`, `L2 + mirror, mirror TTA`: the same on L2-normalised embeddings (rescaled to the
 *     training set's mean norm, so the head's learning rate and weight decay keep their
 *     meaning): a cosine classifier, whose class weights no longer grow with a class's share
 *     of the data.
 * For each, `crossValidatedPredictions` scores every τ of post-hoc logit adjustment on
 * held-out folds, `budgetedChoice` takes the strongest τ within the many-shot budget, and the
 * representation with the best held-out few-shot accuracy at its τ wins.
 *
 * @example
 *   const variants = representationVariants(clean, mirror, cleanTest, mirrorTest);
 *   const pick = chooseRepresentation(variants, labels, counts, { folds: 10, many: 15, few: 6, budget: 0.03 });
 */
import { l2Normalize } from '../../src/open-world/ood/knn.js';
import { fromTypedArray } from '../../src/tensor/creation.js';
import { scope } from '../../src/tensor/scope.js';
import { budgetedChoice, crossValidatedPredictions } from './longtail-strength.js';

export interface Representation {
  name: string;
  /** Training rows per image: the first is the photo, the others its augmented views. */
  train: Float32Array[];
  /** What a held-out training image is scored on (aligned with `train[0]`). */
  heldOut: Float32Array;
  /** What a test image is scored on. */
  test: Float32Array;
}

/** Row-wise mean of two [n, d] arrays. */
function mean2(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => (v + b[i]!) / 2);
}

/** Rows L2-normalised, then scaled to `norm`. */
function normalised(x: Float32Array, d: number, norm: number): Float32Array {
  return scope(
    () =>
      new Float32Array(
        l2Normalize(fromTypedArray(x, [x.length / d, d]))
          .mul(norm)
          .toTypedArray() as Float32Array,
      ),
  );
}

/** The mean L2 norm of the rows. */
function meanNorm(x: Float32Array, d: number): number {
  return scope(() =>
    fromTypedArray(x, [x.length / d, d])
      .norm(2, 1)
      .mean()
      .item(),
  );
}

/**
 * The five representations, from the training images' embeddings and their mirror images'
 * (row-aligned), and the same two for the test images.
 */
export function representationVariants(
  train: Float32Array,
  trainMirror: Float32Array,
  test: Float32Array,
  testMirror: Float32Array,
  d: number,
): Representation[] {
  const trainTta = mean2(train, trainMirror);
  const testTta = mean2(test, testMirror);
  const norm = meanNorm(train, d);
  const n = (x: Float32Array) => normalised(x, d, norm);
  const trainL2 = n(train);
  return [
    { name: 'raw', train: [train], heldOut: train, test },
    { name: 'raw, mirror TTA', train: [train], heldOut: trainTta, test: testTta },
    { name: 'raw + mirror, mirror TTA', train: [train, trainMirror], heldOut: trainTta, test: testTta },
    { name: 'L2', train: [trainL2], heldOut: trainL2, test: n(test) },
    { name: 'L2 + mirror, mirror TTA', train: [trainL2, n(trainMirror)], heldOut: n(trainTta), test: n(testTta) },
  ];
}

export interface RepresentationScore {
  name: string;
  /** The budgeted τ on held-out folds. */
  tau: number;
  /** Held-out few-shot accuracy at τ = 0 and at `tau`; held-out many-shot accuracy likewise. */
  heldOutFew: [number, number];
  heldOutMany: [number, number];
}

export interface RepresentationChoice {
  best: string;
  folds: number;
  scores: RepresentationScore[];
}

export function chooseRepresentation(
  variants: readonly Representation[],
  labels: readonly number[],
  counts: readonly number[],
  options: { folds: number; many: number; few: number; budget: number; steps?: number },
): RepresentationChoice {
  const isMany = (y: number) => counts[y]! >= options.many;
  const scores = variants.map((v): RepresentationScore => {
    const held = crossValidatedPredictions(v.train[0]!, labels, counts.length, {
      folds: options.folds,
      steps: options.steps,
      trainViews: v.train.slice(1),
      heldOut: v.heldOut,
    });
    const choice = budgetedChoice(held, 'logitAdjustment', isMany, options.budget);
    const at = (tau: number, keep: (y: number) => boolean) => {
      const preds = held.logitAdjustment[held.candidates.indexOf(tau)]!;
      const idx = held.labels.flatMap((y, i) => (keep(y) ? [i] : []));
      return idx.filter((i) => preds[i] === held.labels[i]).length / idx.length;
    };
    const isFew = (y: number) => counts[y]! <= options.few;
    return {
      name: v.name,
      tau: choice.best,
      heldOutFew: [at(0, isFew), at(choice.best, isFew)],
      heldOutMany: [at(0, isMany), at(choice.best, isMany)],
    };
  });
  // Ties keep the earlier (simpler) representation.
  const best = scores.reduce((a, s) => (s.heldOutFew[1] > a.heldOutFew[1] ? s : a));
  return { best: best.name, folds: options.folds, scores };
}
