/**
 * Active learning: which photos to label next (`suggest`, `finegrain suggest`,
 * docs/labelling.md) and the parts it is made of — uncertainty measures, near-duplicate
 * collapsing, outliers by local density, k-center greedy, the ranking over given numbers, the CSV.
 *
 * @example
 *   import { suggest } from 'finegrain';
 *   const r = await suggest('runs/birds/checkpoints/best.safetensors', { unlabeled: 'inbox/', count: 200, out: 'to-label.csv' });
 *
 * @module
 */
export { suggest, type SuggestOptions, type SuggestResult } from './suggest.js';
export { SuggestError } from './errors.js';
export {
  rankSuggestions,
  DEFAULT_POOL_FACTOR,
  DEFAULT_OUTLIER_FRACTION,
  DENSITY_NEIGHBOURS,
  type RankInput,
  type RankOptions,
  type RankedRow,
  type Ranking,
} from './rank-suggestions.js';
export { type Suggestion } from './suggestion.js';
export { type LowQualityPhoto } from './embed-photos.js';
export { suggestionsCsv, writeSuggestionsCsv, SUGGESTION_COLUMNS } from './suggestion-csv.js';
export { kCenterGreedy, type KCenterPick, type KCenterOptions } from './k-center-greedy.js';
export { collapseNearDuplicates, DEFAULT_DUPLICATE_SIMILARITY, type DuplicateGroup } from './near-duplicates.js';
export { margin, entropy, uncertaintyOf, UNCERTAINTY_MEASURES, type UncertaintyMeasure } from './uncertainty.js';
