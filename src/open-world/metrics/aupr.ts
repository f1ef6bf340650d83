/**
 * Area under the precision-recall curve as average precision (scikit-learn's
 * `average_precision_score`): Σ (R_i − R_{i−1}) P_i over the distinct score thresholds,
 * highest first. `auprIn` treats in-distribution rows as positives (higher score = more
 * in-distribution); `auprOut` treats OOD rows as positives with the negated score. OpenOOD
 * reports both.
 *
 * @example
 *   auprIn([0.9], [0.1]); // 1
 */
export function averagePrecision(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const p = positives.length;
  if (!p || !negatives.length) throw new RangeError('average precision needs both classes');
  const all: { v: number; pos: boolean }[] = [];
  for (let i = 0; i < p; i++) all.push({ v: positives[i]!, pos: true });
  for (let i = 0; i < negatives.length; i++) all.push({ v: negatives[i]!, pos: false });
  all.sort((a, b) => b.v - a.v);
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) {
      if (all[j]!.pos) tp++;
      seen++;
      j++;
    }
    const recall = tp / p;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    i = j;
  }
  return ap;
}

/** Average precision with the in-distribution scores `id` as positives (higher score = more in-distribution). */
export function auprIn(id: ArrayLike<number>, ood: ArrayLike<number>): number {
  return averagePrecision(id, ood);
}

/** Average precision with the out-of-distribution scores `ood` as positives, on negated scores. */
export function auprOut(id: ArrayLike<number>, ood: ArrayLike<number>): number {
  return averagePrecision(
    Array.from(ood, (v) => -v),
    Array.from(id, (v) => -v),
  );
}
