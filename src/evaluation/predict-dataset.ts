/**
 * Running one model — or an ensemble of checkpoints — over a dataset: class probabilities,
 * embeddings and labels for every readable image, with optional test-time augmentation.
 *
 * Ensembles combine members in one of two ways:
 * - `'probabilities'`: the weighted mean of the members' softmax outputs;
 * - `'embeddings'` (the seed's "weighted embeddings"): each member's pooled embedding (the
 *   mean over TTA views) is scaled by its share of the total weight and the scaled
 *   embeddings are concatenated; the concatenation is classified by the members' linear
 *   classifiers side by side — so the logits are the weighted mean of the members' logits
 *   (biases weighted alike) — and the softmax is taken once. The concatenated embedding is
 *   returned for retrieval and out-of-distribution scores.
 *
 * @example
 *   const members = paths.map((p) => ({ ...loadModelFromCheckpoint(p), weight: 1 }));
 *   const out = await predictDataset(members, testSet, { ensemble: 'embeddings', tta: { flips: true } });
 */
import type { ImageDataset } from '../data/datasets/dataset.js';
import type { SkipReport, SkippedFile } from '../data/skip-report.js';
import type { ImageClassifier } from '../models/classifier.js';
import { cat } from '../tensor/join.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Device } from '../tensor/device.js';
import { evalLoader } from '../data/loader/eval-loader.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import type { Precision } from '../runtime/device-choice.js';
import { holdTensorCache } from '../runtime/tensor-cache.js';
import { combineMembers, memberForward, type MemberOutput } from './forward.js';
import type { TtaOptions } from './tta.js';

/** One model of an ensemble for `predictDataset`, as `loadModelFromCheckpoint` returns it (plus a weight). */
export interface EnsembleMember {
  /** The model; it is switched to evaluation mode. */
  model: ImageClassifier;
  /** How this member's inputs are prepared (its checkpoint's preprocessing). */
  preprocess: PreprocessConfig;
  /** The member's weight in the ensemble (default 1); only ratios between members matter. */
  weight?: number;
}

/** Options of `predictDataset`. */
export interface PredictOptions {
  /** Images per forward pass (default 32). */
  batchSize?: number;
  /** Where the models run (default 'cpu'); the outputs come back to the CPU. */
  device?: Device;
  /** 'float32' (default), or 'bfloat16' / 'float16' through autocast: faster where the hardware has the units, at a small cost in accuracy. */
  precision?: Precision;
  /** Feed the models NHWC batches (faster convolutions with oneDNN and cuDNN); the model should be in channels-last too. */
  channelsLast?: boolean;
  /** Test-time augmentation: flips and scales whose outputs are averaged (default none). */
  tta?: TtaOptions;
  /** How ensemble members combine (default 'probabilities'; see the function). */
  ensemble?: 'probabilities' | 'embeddings';
  /** Decoding parallelism hint: batches prefetched = workers / 2, at least 2 (default 4). */
  workers?: number;
  /** Called after each batch of each member with the batches done and the member's total. */
  onProgress?: (done: number, total: number) => void;
}

/** What `predictDataset` returns: one row per readable image. The tensors are the caller's: free them with `dispose()`. */
export interface DatasetPredictions {
  /** [N, K] class probabilities. */
  probs: Tensor;
  /** [N, K] logits (the weighted mean over members). */
  logits: Tensor;
  /** [N, D] embeddings (concatenated, weighted, for ensembles). */
  embeddings: Tensor;
  /** [N] labels as the dataset gives them (-1 for unlabeled). */
  labels: Tensor;
  /** Dataset index and path of each row (unreadable images are left out). */
  indices: number[];
  /** The image file of each row, in row order. */
  paths: string[];
  /** Images that could not be read: a one-line summary, and each file with its reason. */
  skipped: string;
  /** Each image that could not be read, with its reason. */
  skippedFiles: readonly SkippedFile[];
  /** Frees the four tensors. */
  dispose(): void;
}

interface MemberRun {
  out: MemberOutput;
  labels: Tensor;
  indices: number[];
  paths: string[];
  skipped: SkipReport;
}

async function runMember(member: EnsembleMember, ds: ImageDataset, options: PredictOptions): Promise<MemberRun> {
  const { model } = member;
  const loader = evalLoader(ds, { preprocess: member.preprocess, batchSize: options.batchSize ?? 32, workers: options.workers });
  const parts: MemberOutput[] = [];
  const labels: Tensor[] = [];
  const indices: number[] = [];
  const paths: string[] = [];
  const free = () => {
    for (const p of parts) for (const t of [p.probs, p.logits, p.embeddings]) t.dispose();
    for (const t of labels) t.dispose();
  };
  model.eval();
  const total = loader.batchesPerEpoch();
  let done = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      try {
        // The forward step the front door (src/pipeline/classifier.ts) runs too.
        parts.push(memberForward(model, batch.images, options));
        labels.push(batch.labels.clone());
        indices.push(...batch.indices);
        paths.push(...batch.paths);
      } finally {
        batch.dispose();
      }
      options.onProgress?.(++done, total);
    }
    const out = scope(() => ({
      probs: cat(parts.map((p) => p.probs)).keep(),
      logits: cat(parts.map((p) => p.logits)).keep(),
      embeddings: cat(parts.map((p) => p.embeddings)).keep(),
      labels: cat(labels).keep(),
    }));
    return { out, labels: out.labels, indices, paths, skipped: loader.report() };
  } finally {
    free();
  }
}

/** Predicts a dataset with one model or an ensemble (see the file comment). */
export async function predictDataset(members: EnsembleMember | EnsembleMember[], ds: ImageDataset, options: PredictOptions = {}): Promise<DatasetPredictions> {
  const list = Array.isArray(members) ? members : [members];
  if (!list.length) throw new RangeError('predictDataset: no models');
  const mode = options.ensemble ?? 'probabilities';
  if (mode !== 'probabilities' && mode !== 'embeddings') throw new TypeError(`unknown ensemble mode '${mode}'`);
  const runs: MemberRun[] = [];
  const releaseTensorCache = holdTensorCache(); // every batch reuses the previous one's blocks
  try {
    for (const m of list) runs.push(await runMember(m, ds, options));
    const first = runs[0]!;
    for (const r of runs) {
      if (r.indices.join() !== first.indices.join()) throw new Error('ensemble members read different images (a file became unreadable mid-run?)');
    }
    const combined = combineMembers(
      runs.map((r) => r.out),
      list.map((m) => m.weight ?? 1),
      mode,
    );
    const result: DatasetPredictions = {
      ...combined,
      labels: first.labels.clone(),
      indices: first.indices,
      paths: first.paths,
      skipped: first.skipped.summary(),
      skippedFiles: first.skipped.files,
      dispose() {
        this.probs.dispose();
        this.logits.dispose();
        this.embeddings.dispose();
        this.labels.dispose();
      },
    };
    return result;
  } finally {
    for (const r of runs) for (const t of [r.out.probs, r.out.logits, r.out.embeddings, r.labels]) t.dispose();
    releaseTensorCache();
  }
}
