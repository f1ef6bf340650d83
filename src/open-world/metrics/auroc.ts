/**
 * Area under the ROC curve of a score that should be higher for in-distribution (positive)
 * rows: the probability that a random positive outscores a random negative, ties counting
 * one half (the Mann-Whitney statistic, computed from average ranks).
 *
 * @example
 *   auroc([0.9, 0.8], [0.1, 0.2]); // 1
 */
export function auroc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const p = positives.length;
  const n = negatives.length;
  if (!p || !n) throw new RangeError(`auroc needs both classes (got ${p} positives, ${n} negatives)`);
  const all: { v: number; pos: boolean }[] = [];
  for (let i = 0; i < p; i++) all.push({ v: positives[i]!, pos: true });
  for (let i = 0; i < n; i++) all.push({ v: negatives[i]!, pos: false });
  all.sort((a, b) => a.v - b.v);
  let rankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let t = i; t <= j; t++) if (all[t]!.pos) rankSum += avgRank;
    i = j + 1;
  }
  return (rankSum - (p * (p + 1)) / 2) / (p * n);
}
