/**
 * Which head a calibrated model answers with: its trained classifier, or the closed-form LDA
 * head over its embeddings (closed-form-head.ts), whichever scores the validation photos better.
 * On small fine-grained sets the trained head over-fits its few photos per class, and the
 * closed-form one — class means and one shared covariance, shrunk — generalises better
 * (bench/RESULTS.md "enroll": cars33 test 67.5 → 74.6 % on the 33-class model). The choice is
 * made on validation, never test, and only for a clear lead: at least one point and two photos.
 * Each shrinkage α is tried with the trained means as they are and scaled toward their centre
 * by the β the validation photos measure (closed-form-head.ts); ties keep β = 1.
 *
 * @example
 *   const c = chooseHead(stats, val.embeddings, val.labels, trainedValAccuracy);
 *   if (c.kind === 'closed-form') refit the temperature and thresholds on c.logits(val.embeddings)
 */
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  closedFormHead,
  DEFAULT_SHRINKAGE,
  estimateMeanScale,
  fitClosedFormReference,
  type ClosedFormHead,
  type ClosedFormReference,
  type ClosedFormStats,
} from './closed-form-head.js';

/** Shrinkages tried, the default first (it wins ties). */
export const HEAD_SHRINKAGES = [DEFAULT_SHRINKAGE, 0.1, 1];

/** Which head answers: 'trained', 'closed-form', or 'auto' (the better on validation). */
export type HeadChoice = 'auto' | 'trained' | 'closed-form';

/** The choice, and the validation accuracies it rests on (stored in the calibration). */
export interface HeadDecision {
  /** The head the model answers with. */
  kind: 'trained' | 'closed-form';
  /** The closed-form head's covariance shrinkage α (the best on validation). */
  shrinkage: number;
  /** β: where the trained classes' unseen photos lie (closed-form-head.ts); absent in older calibrations: 1. */
  meanScale?: number;
  /** Validation top-1 of the trained head. */
  trainedValAccuracy: number;
  /** Validation top-1 of the closed-form head at `shrinkage`. */
  closedFormValAccuracy: number;
}

function accuracy(logits: Tensor, labels: ArrayLike<number>): number {
  const pred = scope(() => logits.argmax(1).toTypedArray() as BigInt64Array);
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (Number(pred[i]) === labels[i]) ok++;
  return ok / Math.max(1, labels.length);
}

/** The closed-form head of a fitted reference over the trained classes (new tensors the caller disposes). */
function headOf(ref: ClosedFormReference, classMeans: Tensor): ClosedFormHead {
  return closedFormHead(
    ref,
    classMeans,
    Array.from({ length: classMeans.size(0) }, () => Infinity),
  );
}

/** Logits [N, C] of `embeddings` under a fitted reference's head over the trained classes (a new tensor). */
function logitsOf(ref: ClosedFormReference, classMeans: Tensor, embeddings: Tensor): Tensor {
  const h = headOf(ref, classMeans);
  try {
    return scope(() => embeddings.float().mm(h.weight.t()).add(h.bias));
  } finally {
    h.weight.dispose();
    h.bias.dispose();
  }
}

/** The closed-form head over the trained classes at shrinkage α and mean scale β (new tensors the caller disposes). */
export function trainedClosedFormHead(stats: ClosedFormStats, shrinkage: number, meanScale = 1): ClosedFormHead {
  const ref = fitClosedFormReference(stats, { shrinkage, meanScale });
  try {
    return headOf(ref, stats.classMeans);
  } finally {
    ref.dispose();
  }
}

/** The closed-form head's logits [N, C] of `embeddings` at shrinkage α and mean scale β (a new tensor). */
export function closedFormLogits(stats: ClosedFormStats, embeddings: Tensor, shrinkage: number, meanScale = 1): Tensor {
  const ref = fitClosedFormReference(stats, { shrinkage, meanScale });
  try {
    return logitsOf(ref, stats.classMeans, embeddings);
  } finally {
    ref.dispose();
  }
}

/**
 * The logits a model with this calibration answers with: `logits` (the trained head's) as they
 * are, or the closed-form head's of `embeddings` when the calibration chose it (a new tensor
 * then; the caller disposes it when it is not `logits`).
 */
export function answeringLogits(calibration: { info: { head?: HeadDecision }; stats: Partial<ClosedFormStats> }, logits: Tensor, embeddings: Tensor): Tensor {
  const head = calibration.info.head;
  const s = calibration.stats;
  if (head?.kind !== 'closed-form' || !s.classMeans || !s.precision || !s.headWeight || !s.headBias) return logits;
  return closedFormLogits(
    { classMeans: s.classMeans, precision: s.precision, headWeight: s.headWeight, headBias: s.headBias },
    embeddings,
    head.shrinkage,
    head.meanScale ?? 1,
  );
}

/** Decides the head on validation embeddings and labels (see the module comment). */
export function chooseHead(
  stats: ClosedFormStats,
  valEmbeddings: Tensor,
  valLabels: ArrayLike<number>,
  trainedValAccuracy: number,
  choice: HeadChoice = 'auto',
): HeadDecision {
  let best = { shrinkage: DEFAULT_SHRINKAGE, meanScale: 1, accuracy: -1 };
  for (const a of HEAD_SHRINKAGES) {
    // The β = 1 reference both measures β and scores its own head (one D × D inverse less).
    const plain = fitClosedFormReference(stats, { shrinkage: a });
    const beta = estimateMeanScale(plain, stats.classMeans, valEmbeddings, valLabels);
    const refs = beta < 1 ? [plain, fitClosedFormReference(stats, { shrinkage: a, meanScale: beta })] : [plain];
    try {
      for (const ref of refs) {
        const logits = logitsOf(ref, stats.classMeans, valEmbeddings);
        const acc = accuracy(logits, valLabels);
        logits.dispose();
        if (acc > best.accuracy) best = { shrinkage: a, meanScale: ref.meanScale, accuracy: acc };
      }
    } finally {
      for (const ref of refs) ref.dispose();
    }
  }
  const n = valLabels.length;
  const clearLead = best.accuracy >= trainedValAccuracy + Math.max(0.01, 2 / Math.max(1, n));
  const kind = choice === 'auto' ? (clearLead ? 'closed-form' : 'trained') : choice;
  return { kind, shrinkage: best.shrinkage, meanScale: best.meanScale, trainedValAccuracy, closedFormValAccuracy: best.accuracy };
}
