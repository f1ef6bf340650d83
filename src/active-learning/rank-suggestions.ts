/**
 * Which photos to label next, from numbers alone: each photo's calibrated class probabilities
 * and its embedding (what `suggest` computes with the model; a benchmark can pass its own).
 *
 * 1. Photos that are near-duplicates of an already-labelled photo are left out (labelling them
 *    again teaches nothing).
 * 2. The rest are ordered by uncertainty (uncertainty.ts), most uncertain first, and
 *    near-duplicates are collapsed to their most uncertain photo (near-duplicates.ts).
 * 3. Outliers are left out: the `outlierFraction` of representatives in the sparsest regions of
 *    the embedding space (the lowest mean cosine similarity to their DENSITY_NEIGHBOURS nearest
 *    representatives) — the photos k-center greedy would otherwise reach for first, being far
 *    from everything, and whose labels teach a classifier least about its classes. (The core-set
 *    paper's robust k-center allows an outlier budget for the same reason.)
 * 4. The pool: the `poolFactor × count` most uncertain representatives left.
 * 5. k-center greedy over the pool in the L2-normalised embedding space (k-center-greedy.ts),
 *    the labelled photos counting as centres already chosen: `count` picks, in pick order.
 *
 * Uncertainty alone picks many photos of the same confusion (twenty photos of the same two
 * look-alike species); diversity alone spends labels on photos the model already gets right.
 * The pool keeps the picks uncertain, the greedy spreads them over the pool.
 *
 * @example
 *   const r = rankSuggestions({ probabilities, numClasses: 100, embeddings, labeledEmbeddings }, { count: 200 });
 *   r.rows[0]; // { row: 812, rank: 1, predicted: 17, confidence: 0.41, margin: 0.03, ..., duplicates: [] }
 */
import { l2Normalize } from '../open-world/ood/knn.js';
import { tensor } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { kCenterGreedy } from './k-center-greedy.js';
import { collapseNearDuplicates, DEFAULT_DUPLICATE_SIMILARITY, type DuplicateGroup } from './near-duplicates.js';
import { maxSimilarity, neighbourDensity } from './similarity.js';
import { entropy, margin, topTwo, uncertaintyOf, type UncertaintyMeasure } from './uncertainty.js';

/**
 * The pool is this many times `count` (the most uncertain photos the greedy chooses among).
 * Two, chosen on validation photos carved from cub100's training split (bench/suggest --tune,
 * 20 seeds; bench/RESULTS.md): the wider the pool, the more the greedy's farthest-first picks
 * drift to atypical photos, and top-1 fell steadily from pool 2 to 3, 5 and every photo; pools
 * of 1 and 1.5 scored as 2 within the noise.
 */
export const DEFAULT_POOL_FACTOR = 2;

/**
 * The share of candidates left out as outliers. 0.2, chosen on validation photos of cub100
 * (bench/suggest --tune, 20 seeds; bench/RESULTS.md) among 0, 0.2 and 0.4.
 */
export const DEFAULT_OUTLIER_FRACTION = 0.2;

/** Neighbours a photo's density is measured over. */
export const DENSITY_NEIGHBOURS = 10;

/** What `rankSuggestions` ranks. */
export interface RankInput {
  /** Calibrated class probabilities, row-major [N × numClasses]. */
  probabilities: Float32Array;
  /** Classes per row of `probabilities`. */
  numClasses: number;
  /** Embeddings [N, D] (any scale: they are L2-normalised here). */
  embeddings: Tensor;
  /** Embeddings [L, D] of photos labelled already: centres before the first pick. */
  labeledEmbeddings?: Tensor;
}

/** How `rankSuggestions` (and `suggest`) choose. */
export interface RankOptions {
  /** How many photos to suggest (a positive integer). */
  count: number;
  /** Which uncertainty orders the pool (default 'margin'). */
  uncertainty?: UncertaintyMeasure;
  /** The pool is `poolFactor × count` photos (≥ 1; Infinity: every photo; default DEFAULT_POOL_FACTOR). */
  poolFactor?: number;
  /** Cosine similarity at and above which photos are near-duplicates (default DEFAULT_DUPLICATE_SIMILARITY). */
  duplicateSimilarity?: number;
  /** Share of candidates in the sparsest regions left out as outliers, in [0, 1) (default DEFAULT_OUTLIER_FRACTION). */
  outlierFraction?: number;
}

/** One suggested photo, by row. */
export interface RankedRow {
  /** The photo's row in the input. */
  row: number;
  /** 1 = label first. */
  rank: number;
  /** The predicted class's index. */
  predicted: number;
  /** Its calibrated probability. */
  confidence: number;
  /** The runner-up class's index (-1 with one class). */
  runnerUp: number;
  /** p₁ − p₂. */
  margin: number;
  /** Entropy of the probabilities, in nats. */
  entropy: number;
  /** The ranking's uncertainty (1 − margin, or the entropy). */
  uncertainty: number;
  /** Distance to the nearest earlier pick or labelled photo, in the normalised embedding space (Infinity: the first pick with no labelled photos). */
  distance: number;
  /** Rows of its near-duplicates, which it stands for. */
  duplicates: number[];
}

/** What `rankSuggestions` decided. */
export interface Ranking {
  /** The suggestions, rank order. */
  rows: RankedRow[];
  /** Rows left out as near-duplicates of a labelled photo, with that similarity. */
  nearLabeled: {
    /** The photo's row. */
    row: number;
    /** Its cosine similarity to the closest labelled photo. */
    similarity: number;
  }[];
  /** Photos left after collapsing near-duplicates. */
  candidates: number;
  /** How many of them were left out as outliers. */
  outliers: number;
  /** How many of them the greedy chose among. */
  poolSize: number;
}

function checkOptions(o: RankOptions): Required<RankOptions> {
  if (!Number.isInteger(o.count) || o.count < 1) throw new RangeError(`count must be a positive integer, got ${o.count}`);
  const poolFactor = o.poolFactor ?? DEFAULT_POOL_FACTOR;
  if (!(poolFactor >= 1)) throw new RangeError(`poolFactor must be at least 1 (or Infinity), got ${o.poolFactor}`);
  const duplicateSimilarity = o.duplicateSimilarity ?? DEFAULT_DUPLICATE_SIMILARITY;
  if (!(duplicateSimilarity > 0 && duplicateSimilarity <= 1)) throw new RangeError(`duplicateSimilarity must be in (0, 1], got ${o.duplicateSimilarity}`);
  const outlierFraction = o.outlierFraction ?? DEFAULT_OUTLIER_FRACTION;
  if (!(outlierFraction >= 0 && outlierFraction < 1)) throw new RangeError(`outlierFraction must be in [0, 1), got ${o.outlierFraction}`);
  return { count: o.count, uncertainty: o.uncertainty ?? 'margin', poolFactor, duplicateSimilarity, outlierFraction };
}

/** The suggestions (see the file comment). Tensors given are not disposed. */
export function rankSuggestions(input: RankInput, options: RankOptions): Ranking {
  const o = checkOptions(options);
  const { probabilities, numClasses: k } = input;
  const n = input.embeddings.size(0);
  if (probabilities.length !== n * k) throw new RangeError(`rankSuggestions: ${probabilities.length} probabilities for ${n} photos × ${k} classes`);
  const rowOf = (i: number) => probabilities.subarray(i * k, (i + 1) * k);
  const unit = l2Normalize(input.embeddings);
  const labeled = input.labeledEmbeddings?.size(0) ? l2Normalize(input.labeledEmbeddings) : null;
  try {
    const toLabeled = labeled ? maxSimilarity(unit, labeled) : null;
    const nearLabeled: Ranking['nearLabeled'] = [];
    const uncertainty = Float64Array.from({ length: n }, (_, i) => uncertaintyOf(rowOf(i), o.uncertainty));
    const order: number[] = [];
    for (let i = 0; i < n; i++) {
      if (toLabeled && toLabeled[i]! >= o.duplicateSimilarity) nearLabeled.push({ row: i, similarity: toLabeled[i]! });
      else order.push(i);
    }
    order.sort((a, b) => uncertainty[b]! - uncertainty[a]! || a - b);
    const groups = collapseNearDuplicates(unit, order, o.duplicateSimilarity);
    const typical = withoutOutliers(unit, groups, o.outlierFraction);
    const pool = typical.slice(0, Math.min(typical.length, o.poolFactor * o.count));
    const poolRows = pool.map((g) => g.representative);
    const vectors = unitRows(unit, poolRows);
    const initialDistances = toLabeled ? poolRows.map((r) => Math.sqrt(Math.max(0, 2 - 2 * toLabeled[r]!))) : undefined;
    const picks = kCenterGreedy(vectors, o.count, { initialDistances });
    const rows = picks.map((p, i): RankedRow => {
      const { representative: row, duplicates } = pool[p.index]!;
      const probs = rowOf(row);
      const [predicted, runnerUp] = topTwo(probs);
      return {
        row,
        rank: i + 1,
        predicted,
        confidence: probs[predicted]!,
        runnerUp,
        margin: margin(probs),
        entropy: entropy(probs),
        uncertainty: uncertainty[row]!,
        distance: p.distance,
        duplicates,
      };
    });
    return { rows, nearLabeled, candidates: groups.length, outliers: groups.length - typical.length, poolSize: pool.length };
  } finally {
    unit.dispose();
    labeled?.dispose();
  }
}

/** The groups whose representatives are not among the `fraction` least dense, in their order. */
function withoutOutliers(unit: Tensor, groups: DuplicateGroup[], fraction: number): DuplicateGroup[] {
  const drop = Math.floor(fraction * groups.length);
  if (!drop) return groups;
  const reps = scope(() =>
    unit
      .indexSelect(
        0,
        tensor(
          groups.map((g) => g.representative),
          { dtype: 'int64' },
        ),
      )
      .keep(),
  );
  const density = neighbourDensity(reps, DENSITY_NEIGHBOURS);
  reps.dispose();
  const sparsest = new Set(
    groups
      .map((_, i) => i)
      .sort((a, b) => density[a]! - density[b]! || a - b)
      .slice(0, drop),
  );
  return groups.filter((_, i) => !sparsest.has(i));
}

/** Rows `rows` of a unit-row tensor as JS arrays, for the greedy. */
function unitRows(unit: Tensor, rows: readonly number[]): Float32Array[] {
  if (!rows.length) return [];
  const d = unit.size(1);
  const picked = scope(
    () =>
      unit
        .indexSelect(0, tensor([...rows], { dtype: 'int64' }))
        .contiguous()
        .toTypedArray() as Float32Array,
  );
  return rows.map((_, i) => picked.subarray(i * d, (i + 1) * d));
}
