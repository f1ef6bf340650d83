/**
 * Classification metrics from predicted probabilities (or logits) and labels: top-1, top-5,
 * per-class accuracy, the most confused class pairs, and head/tail accuracy for long-tailed
 * label sets. Pure computation: feed it the outputs of `predictBatches`.
 *
 * @example
 *   const report = classificationReport(scores, labels, classes);
 *   console.log(formatReport(report));
 */
import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/scope.js';
import { topClasses } from './top-classes.js';

/** A pair of classes the model mixes up: how often images of `actual` were predicted as `predicted`. */
export interface ConfusedPair {
  /** The true class. */
  actual: string;
  /** The class predicted instead (top-1). */
  predicted: string;
  /** How many of `actual`'s images were predicted as `predicted`. */
  count: number;
  /** Fraction of `actual`'s images predicted as `predicted`. */
  rate: number;
}

/** What `classificationReport` measures over a labelled set of predictions; accuracies are fractions (0..1), NaN for an empty set. */
export interface ClassificationReport {
  /** Images evaluated. */
  images: number;
  /** Share of images whose top class is the true one. */
  top1: number;
  /** Share of images whose true class is among the five top classes (all classes when there are fewer than five). */
  top5: number;
  /** Top-1 accuracy of each class, in class order. */
  perClass: {
    /** The class name. */
    name: string;
    /** Images of this class in the set. */
    images: number;
    /** Share of them predicted correctly (NaN when the set has none). */
    accuracy: number;
  }[];
  /** Mean of per-class accuracies (balanced accuracy). */
  meanClassAccuracy: number;
  /** The most frequent confusions (10 unless `topPairs` says otherwise), most frequent first. */
  confusedPairs: ConfusedPair[];
}

/** `scores` [N, K] (probabilities or logits), `labels` [N] int64. */
export function classificationReport(scores: Tensor, labels: Tensor, classes: string[], options: { topPairs?: number } = {}): ClassificationReport {
  const [n, k] = scores.shape as [number, number];
  if (labels.shape[0] !== n) throw new RangeError(`classificationReport: ${n} score rows but ${labels.shape[0]} labels`);
  if (k !== classes.length) throw new RangeError(`classificationReport: ${k} score columns but ${classes.length} classes`);
  const kk = Math.min(5, k);
  // Top classes by topClasses, as the server and the library answer: equal scores (bf16 logits
  // tie now and then) go to the lower class index, where libtorch's topk may pick either.
  const { top, truth } = scope(() => {
    const rows = scores.float().contiguous().toTypedArray() as Float32Array;
    return {
      top: Array.from({ length: n }, (_, i) => topClasses(rows.subarray(i * k, (i + 1) * k), kk)),
      truth: Array.from(labels.toTypedArray() as BigInt64Array, Number),
    };
  });
  const confusion = new Map<string, number>();
  const per = classes.map(() => ({ images: 0, correct: 0 }));
  let top1 = 0;
  let top5 = 0;
  for (let i = 0; i < n; i++) {
    const y = truth[i]!;
    const row = top[i]!;
    const pred = row[0]!;
    per[y]!.images++;
    if (pred === y) {
      top1++;
      per[y]!.correct++;
    } else {
      const key = `${y},${pred}`;
      confusion.set(key, (confusion.get(key) ?? 0) + 1);
    }
    if (row.includes(y)) top5++;
  }
  const perClass = classes.map((name, c) => ({ name, images: per[c]!.images, accuracy: per[c]!.images ? per[c]!.correct / per[c]!.images : NaN }));
  const present = perClass.filter((p) => p.images > 0);
  const confusedPairs = [...confusion.entries()]
    .map(([key, count]) => {
      const [a, p] = key.split(',').map(Number) as [number, number];
      return { actual: classes[a]!, predicted: classes[p]!, count, rate: count / per[a]!.images };
    })
    .sort((x, y) => y.count - x.count || y.rate - x.rate)
    .slice(0, options.topPairs ?? 10);
  return {
    images: n,
    top1: n ? top1 / n : NaN,
    top5: n ? top5 / n : NaN,
    perClass,
    meanClassAccuracy: present.reduce((s, p) => s + p.accuracy, 0) / Math.max(1, present.length),
    confusedPairs,
  };
}

/**
 * Accuracy of the classes with the most training images (head) and the fewest (tail):
 * classes are sorted by training count and split into thirds.
 */
export function headTailAccuracy(
  report: ClassificationReport,
  trainCounts: number[],
): {
  /** Mean accuracy of the third of classes with the most training images. */
  head: number;
  /** Mean accuracy of the middle third. */
  medium: number;
  /** Mean accuracy of the third with the fewest training images: where long-tailed data hurts. */
  tail: number;
} {
  const order = trainCounts
    .map((c, i) => [c, i] as const)
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => i);
  const third = Math.ceil(order.length / 3);
  const mean = (ids: number[]) => {
    const accs = ids
      .map((i) => report.perClass[i]!)
      .filter((p) => p.images > 0)
      .map((p) => p.accuracy);
    return accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : NaN;
  };
  return { head: mean(order.slice(0, third)), medium: mean(order.slice(third, 2 * third)), tail: mean(order.slice(2 * third)) };
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'n/a');

/** A readable table of the report. */
export function formatReport(r: ClassificationReport, options: { worstClasses?: number } = {}): string {
  const lines = [`images ${r.images}   top-1 ${pct(r.top1)}   top-5 ${pct(r.top5)}   mean class accuracy ${pct(r.meanClassAccuracy)}`, '', 'worst classes:'];
  const worst = r.perClass
    .filter((p) => p.images > 0)
    .sort((a, b) => a.accuracy - b.accuracy)
    .slice(0, options.worstClasses ?? 10);
  const w = Math.max(10, ...worst.map((p) => p.name.length));
  for (const p of worst) lines.push(`  ${p.name.padEnd(w)}  ${pct(p.accuracy).padStart(7)}  (${p.images} images)`);
  if (r.confusedPairs.length) {
    lines.push('', 'most confused pairs (actual -> predicted):');
    for (const c of r.confusedPairs) lines.push(`  ${c.actual} -> ${c.predicted}: ${c.count} (${pct(c.rate)} of ${c.actual})`);
  }
  return lines.join('\n');
}
