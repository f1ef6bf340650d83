/**
 * Which photos to label next, from numbers alone: each photo's calibrated class probabilities
 * and its embedding (what `suggest` computes with the model; a benchmark can pass its own).
 *
 * 1. Photos that are near-duplicates of an already-labelled photo are left out (labelling them
 *    again teaches nothing).
 * 2. The rest are ordered by uncertainty (uncertainty.ts), most uncertain first, and
 *    near-duplicates are collapsed to their most uncertain photo (near-duplicates.ts).
 * 3. The pool: the `poolFactor × count` most uncertain representatives.
 * 4. k-center greedy over the pool in the L2-normalised embedding space (k-center-greedy.ts),
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
import { collapseNearDuplicates, DEFAULT_DUPLICATE_SIMILARITY } from './near-duplicates.js';
import { maxSimilarity } from './similarity.js';
import { entropy, margin, topTwo, uncertaintyOf, type UncertaintyMeasure } from './uncertainty.js';

/**
 * The pool is this many times `count` (the most uncertain photos the greedy chooses among).
 * Five: wide enough that the greedy can avoid taking many photos of one confusion, narrow
 * enough that every pick is among the least sure fifth of a pool five times the labels asked
 * for (bench/suggest compares 1, 5 and every photo).
 */
export const DEFAULT_POOL_FACTOR = 5;

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
  /** How many of them the greedy chose among. */
  poolSize: number;
}

function checkOptions(o: RankOptions): Required<RankOptions> {
  if (!Number.isInteger(o.count) || o.count < 1) throw new RangeError(`count must be a positive integer, got ${o.count}`);
  const poolFactor = o.poolFactor ?? DEFAULT_POOL_FACTOR;
  if (!(poolFactor >= 1)) throw new RangeError(`poolFactor must be at least 1 (or Infinity), got ${o.poolFactor}`);
  const duplicateSimilarity = o.duplicateSimilarity ?? DEFAULT_DUPLICATE_SIMILARITY;
  if (!(duplicateSimilarity > 0 && duplicateSimilarity <= 1)) throw new RangeError(`duplicateSimilarity must be in (0, 1], got ${o.duplicateSimilarity}`);
  return { count: o.count, uncertainty: o.uncertainty ?? 'margin', poolFactor, duplicateSimilarity };
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
    const pool = groups.slice(0, Math.min(groups.length, o.poolFactor * o.count));
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
    return { rows, nearLabeled, candidates: groups.length, poolSize: pool.length };
  } finally {
    unit.dispose();
    labeled?.dispose();
  }
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
