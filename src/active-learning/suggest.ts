/**
 * Which photos to label next (`finegrain suggest`, docs/labelling.md): a folder of unlabelled
 * photos through a trained checkpoint, ranked by how much labelling each should help —
 * uncertain under the model's calibrated probabilities, spread over its embedding space, one
 * photo per group of near-duplicates, outlying photos, bad photos (the quality gate) and
 * unreadable files left out and reported. The ranking itself is rank-suggestions.ts; this file reads the photos.
 *
 * @example
 *   const r = await suggest('runs/birds/checkpoints/best.safetensors', { unlabeled: 'inbox/', labeled: 'birds/', count: 200, out: 'to-label.csv' });
 *   r.suggestions[0]; // { rank: 1, path: 'inbox/0412.jpg', predictedClass: 'Gadwall', confidence: 0.41, margin: 0.03, ... }
 *   r.lowQuality;     // [{ path: 'inbox/0007.jpg', issues: ['blurry'] }, ...]
 */
import { existsSync, statSync } from 'node:fs';
import { listImages } from '../data/datasets/list-images.js';
import { SkipReport, type SkippedFile } from '../data/skip-report.js';
import { servedModelOf, type Classifier, type ClassifierOptions } from '../pipeline/classifier.js';
import { loadLibtorchModel, LibtorchModel } from '../pipeline/libtorch-model.js';
import { fromTypedArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { embedPhotos, type LowQualityPhoto } from './embed-photos.js';
import { SuggestError } from './errors.js';
import { rankSuggestions, type RankOptions } from './rank-suggestions.js';
import { writeSuggestionsCsv } from './suggestion-csv.js';
import { toSuggestion, type Suggestion } from './suggestion.js';

/** What `suggest` reads and how it chooses. */
export interface SuggestOptions extends RankOptions {
  /** The folder of unlabelled photos (searched recursively). */
  unlabeled: string;
  /** A folder of photos labelled already (any layout; labels are not read): their embeddings are centres chosen before the first pick, and photos near-duplicate to one are left out. */
  labeled?: string;
  /** Also write the suggestions as CSV here (suggestion-csv.ts; atomically). */
  out?: string;
  /** Photos per forward pass (default 32). */
  batchSize?: number;
  /** How to load the checkpoint when a path is given (device, precision, TTA, …). */
  load?: Omit<ClassifierOptions, 'worker' | 'threads'>;
  /** Called after each batch: which folder, photos done, their total. */
  onProgress?: (folder: 'unlabeled' | 'labeled', done: number, total: number) => void;
}

/** What `suggest` found. */
export interface SuggestResult {
  /** The photos to label, rank order. */
  suggestions: Suggestion[];
  /** Photos in the folder (readable or not). */
  photos: number;
  /** Photos the quality gate left out, with its issues. */
  lowQuality: LowQualityPhoto[];
  /** Files that could not be read (in either folder), with the reason. */
  skipped: readonly SkippedFile[];
  /** One line: how many files were skipped, by reason. */
  skippedSummary: string;
  /** Unlabelled photos left out as near-duplicates of a labelled one, with the similarity. */
  nearLabeled: {
    /** The unlabelled photo. */
    path: string;
    /** Its cosine similarity to the closest labelled photo. */
    similarity: number;
  }[];
  /** Labelled photos read (centres before the first pick). */
  labeled: number;
  /** Usable photos left after collapsing near-duplicates. */
  candidates: number;
  /** How many of them were left out as outliers (the sparsest regions of the embedding space). */
  outliers: number;
  /** How many of them the greedy chose among (the most uncertain). */
  poolSize: number;
  /** Whether the probabilities are calibrated (a calibration beside the checkpoint), and at which temperature (1 when not). */
  calibration: {
    /** Whether `finegrain calibrate` fitted the checkpoint (else: temperature 1, the trained head). */
    calibrated: boolean;
    /** The softmax temperature the probabilities were taken at. */
    temperature: number;
  };
}

function checkFolder(dir: string, what: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SuggestError(`${what} folder not found: ${dir}`);
}

function checkRequest(model: string | Classifier, o: SuggestOptions): void {
  if (!Number.isInteger(o.count) || o.count < 1) throw new SuggestError(`count must be a positive integer, got ${o.count}`);
  if (o.poolFactor !== undefined && !(o.poolFactor >= 1)) throw new SuggestError(`the pool factor must be at least 1, got ${o.poolFactor}`);
  if (o.duplicateSimilarity !== undefined && !(o.duplicateSimilarity > 0 && o.duplicateSimilarity <= 1))
    throw new SuggestError(`the near-duplicate similarity must be in (0, 1], got ${o.duplicateSimilarity}`);
  if (o.outlierFraction !== undefined && !(o.outlierFraction >= 0 && o.outlierFraction < 1))
    throw new SuggestError(`the outlier fraction must be in [0, 1), got ${o.outlierFraction}`);
  if (typeof model === 'string') {
    if (/\.onnx$/i.test(model)) throw new SuggestError(`suggest needs the checkpoint (its embeddings), not an ONNX file: ${model}`);
    if (!existsSync(model)) throw new SuggestError(`checkpoint not found: ${model}`);
  }
  checkFolder(o.unlabeled, 'unlabeled');
  if (o.labeled !== undefined) checkFolder(o.labeled, 'labeled');
}

/** The model behind a classifier of the caller's, which must run libtorch in this thread (embeddings are read off its forward pass). */
function libtorchModelOf(clf: Classifier): LibtorchModel {
  const m = servedModelOf(clf);
  if (!(m instanceof LibtorchModel))
    throw new SuggestError(
      `suggest reads embeddings off a checkpoint run in this thread; this classifier runs ${m.info.runtime}${m.info.runtime === 'libtorch' ? ' on a worker thread' : ''}`,
    );
  return m;
}

/**
 * The ranking for a checkpoint: a path (loaded and freed here) or a `classifier()` of the
 * caller's that runs a checkpoint in this thread (not freed).
 */
export async function suggest(model: string | Classifier, options: SuggestOptions): Promise<SuggestResult> {
  checkRequest(model, options);
  const listing = new SkipReport();
  const files = listImages(options.unlabeled, listing);
  if (!files.length) throw new SuggestError(`no photos in ${options.unlabeled} (${listing.summary()})`);
  const labeledFiles = options.labeled !== undefined ? listImages(options.labeled, listing) : [];
  const loaded = typeof model === 'string' ? await loadLibtorchModel(model, options.load) : null;
  const m = loaded ?? libtorchModelOf(model as Classifier);
  const tensors: Tensor[] = [];
  try {
    const { batchSize, onProgress } = options;
    const photos = await embedPhotos(m, files, { batchSize, onProgress: (d, t) => onProgress?.('unlabeled', d, t) });
    const labeled = labeledFiles.length
      ? await embedPhotos(m, labeledFiles, { batchSize, qualityGate: false, onProgress: (d, t) => onProgress?.('labeled', d, t) })
      : null;
    const skipped = listing.merge(photos.skipped);
    if (labeled) skipped.merge(labeled.skipped);
    const cal = m.info.calibration as { calibrated?: boolean; temperature?: number };
    const calibration = { calibrated: cal.calibrated === true, temperature: cal.temperature ?? 1 };
    const base = {
      calibration,
      photos: files.length,
      lowQuality: photos.lowQuality,
      skipped: skipped.files,
      skippedSummary: skipped.summary(),
      labeled: labeled?.paths.length ?? 0,
    };
    if (!photos.paths.length) {
      if (options.out) writeSuggestionsCsv(options.out, []);
      return { ...base, suggestions: [], nearLabeled: [], candidates: 0, outliers: 0, poolSize: 0 };
    }
    const d = photos.embeddingSize;
    const embeddings = fromTypedArray(photos.embeddings, [photos.paths.length, d]);
    tensors.push(embeddings);
    const labeledEmbeddings = labeled?.paths.length ? fromTypedArray(labeled.embeddings, [labeled.paths.length, d]) : undefined;
    if (labeledEmbeddings) tensors.push(labeledEmbeddings);
    const ranking = rankSuggestions(
      { probabilities: photos.probabilities, numClasses: m.classes.length, embeddings, labeledEmbeddings },
      {
        count: options.count,
        uncertainty: options.uncertainty,
        poolFactor: options.poolFactor,
        duplicateSimilarity: options.duplicateSimilarity,
        outlierFraction: options.outlierFraction,
      },
    );
    const suggestions = ranking.rows.map((r) => toSuggestion(r, photos.paths, m.classes));
    if (options.out) writeSuggestionsCsv(options.out, suggestions);
    return {
      ...base,
      suggestions,
      nearLabeled: ranking.nearLabeled.map((x) => ({ path: photos.paths[x.row]!, similarity: x.similarity })),
      candidates: ranking.candidates,
      outliers: ranking.outliers,
      poolSize: ranking.poolSize,
    };
  } finally {
    for (const t of tensors) t.dispose();
    loaded?.dispose();
  }
}
