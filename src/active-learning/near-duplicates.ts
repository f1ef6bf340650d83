/**
 * Near-duplicate photos collapsed to one representative each: the same photo saved twice,
 * re-encoded, resized or cropped a little, or a burst of nearly identical shots. Labelling
 * more than one of them teaches the model almost nothing more, so a suggestion stands for its
 * group and says how many photos it stands for.
 *
 * Two photos are near-duplicates when the cosine similarity of their L2-normalised embeddings
 * is at least the threshold (DEFAULT_DUPLICATE_SIMILARITY). Grouping is by leaders, in priority
 * order: the highest-priority photo not yet grouped (the most uncertain) leads a group and
 * takes every ungrouped photo near it. Each member is therefore near its representative; no
 * chain of look-alikes (a ~ b ~ c with a, c far apart) is merged into one group.
 *
 * @example
 *   const groups = collapseNearDuplicates(l2Normalize(emb), byUncertainty, 0.95);
 *   groups[0]; // { representative: 7, duplicates: [12, 40] }
 */
import type { Tensor } from '../tensor/tensor.js';
import { similarNeighbours } from './similarity.js';

/**
 * Cosine similarity at and above which two photos count as near-duplicates. Measured on cub100
 * with the ImageNet MobileNetV2's embeddings (bench/suggest, 60 photos; bench/RESULTS.md): a
 * copy re-encoded as JPEG at quality 50 stays at 0.96 or more (95 % of photos; lowest 0.948),
 * one resized to 70 % at 0.976 or more, one cropped by 5 % a side at 0.956 in the median (so
 * about half of such crops are caught); a photo's closest *other* photo is at 0.84 in the
 * median and 0.90 at the 99th percentile, and 8 of 2,903 reach 0.95.
 */
export const DEFAULT_DUPLICATE_SIMILARITY = 0.95;

/** One group of near-duplicates: the photo that stands for it and the others. */
export interface DuplicateGroup {
  /** The row that stands for the group (the highest-priority one). */
  representative: number;
  /** The other rows of the group, in priority order. */
  duplicates: number[];
}

/**
 * The groups of the rows `order` names (priority first; rows not named are ignored), in that
 * order of their representatives. `unit`: the embeddings [N, D], L2-normalised.
 */
export function collapseNearDuplicates(unit: Tensor, order: readonly number[], threshold = DEFAULT_DUPLICATE_SIMILARITY): DuplicateGroup[] {
  if (!(threshold > -1 && threshold <= 1)) throw new RangeError(`near-duplicate similarity must be in (-1, 1], got ${threshold}`);
  const neighbours = similarNeighbours(unit, threshold);
  const n = unit.size(0);
  const rank = new Int32Array(n).fill(-1);
  order.forEach((row, r) => (rank[row] = r));
  const grouped = new Uint8Array(n);
  const groups: DuplicateGroup[] = [];
  for (const row of order) {
    if (grouped[row]) continue;
    grouped[row] = 1;
    const duplicates = neighbours[row]!.filter((j) => rank[j]! >= 0 && !grouped[j]).sort((a, b) => rank[a]! - rank[b]!);
    for (const j of duplicates) grouped[j] = 1;
    groups.push({ representative: row, duplicates });
  }
  return groups;
}
