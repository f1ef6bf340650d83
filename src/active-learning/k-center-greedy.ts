/**
 * k-center greedy: picks points one at a time, each the point farthest from every centre chosen
 * so far (its distance to the nearest centre largest), so the picks cover the set — every point
 * lies near some pick. Gonzalez's greedy, a 2-approximation of the k-center problem (the
 * largest point-to-nearest-centre distance is at most twice the best possible).
 *
 * The reference is the core-set approach to active learning (Sener & Savarese, "Active
 * Learning for Convolutional Neural Networks: A Core-Set Approach", ICLR 2018): the labelled
 * photos are the first centres, the greedy runs over the whole unlabelled pool in the
 * embedding space of the model's last layer before the classifier, with Euclidean distances,
 * and a mixed-integer refinement (the "robust" k-center, which tolerates outliers) follows.
 * Where `finegrain suggest` differs (suggest-ranking.ts): the greedy runs over the most
 * uncertain photos only (the pool), not all of them, so the picks are both uncertain and
 * diverse; the embeddings are L2-normalised first (distances are then a function of cosine
 * similarity, as the knn unknown score measures them); bad photos, near-duplicates and the
 * sparsest share of the photos (rank-suggestions.ts) are removed before, instead of the robust
 * refinement's outlier budget; without labelled photos
 * the first pick is the first point (the caller puts the most uncertain first), where the
 * paper starts from its initial labelled set.
 *
 * Cost: one distance per point and pick (count × points × dimensions operations).
 *
 * @example
 *   const picks = kCenterGreedy([[0, 0], [1, 0], [5, 0]], 2);   // [{ index: 0, distance: Infinity }, { index: 2, distance: 5 }]
 *   kCenterGreedy(points, 10, { initialDistances: distToLabelled }); // labelled photos count as centres
 */

/** One pick: the point's index and its distance to the nearest centre when it was picked. */
export interface KCenterPick {
  /** Index into the points. */
  index: number;
  /** Distance to the nearest earlier centre (Infinity for a first pick with no centres yet). */
  distance: number;
}

/** Options of `kCenterGreedy`. */
export interface KCenterOptions {
  /**
   * Each point's distance to the nearest centre chosen before the greedy starts (the labelled
   * photos); default: none (Infinity for every point).
   */
  initialDistances?: ArrayLike<number>;
}

/** Euclidean distance between two rows of the same length. */
export function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * Up to `count` picks in the order chosen (see the file comment). Ties go to the lower index,
 * so a caller that orders points by priority gets the higher-priority one.
 */
export function kCenterGreedy(points: readonly ArrayLike<number>[], count: number, options: KCenterOptions = {}): KCenterPick[] {
  const n = points.length;
  const init = options.initialDistances;
  if (init && init.length !== n) throw new RangeError(`kCenterGreedy: ${init.length} initial distances for ${n} points`);
  const nearest = Float64Array.from({ length: n }, (_, i) => (init ? init[i]! : Infinity));
  const taken = new Uint8Array(n);
  const picks: KCenterPick[] = [];
  for (let k = 0; k < Math.min(count, n); k++) {
    let best = -1;
    for (let i = 0; i < n; i++) if (!taken[i] && (best < 0 || nearest[i]! > nearest[best]!)) best = i;
    picks.push({ index: best, distance: nearest[best]! });
    taken[best] = 1;
    const c = points[best]!;
    for (let i = 0; i < n; i++) if (!taken[i]) nearest[i] = Math.min(nearest[i]!, euclidean(points[i]!, c));
  }
  return picks;
}
