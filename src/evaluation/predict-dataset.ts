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
import { noGrad } from '../autograd/grad-mode.js';
import { softmax } from '../nn/functional/activation.js';
import type { ImageDataset } from '../data/datasets/dataset.js';
import type { SkipReport, SkippedFile } from '../data/skip-report.js';
import type { ImageClassifier } from '../models/classifier.js';
import { cat } from '../tensor/join.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Device } from '../tensor/device.js';
import { autocast } from '../autograd/autocast.js';
import { evalLoader } from '../data/loader/eval-loader.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import type { Precision } from '../runtime/device-choice.js';
import { ttaForward, type TtaOptions } from './tta.js';

export interface EnsembleMember {
  model: ImageClassifier;
  /** How this member's inputs are prepared (its checkpoint's preprocessing). */
  preprocess: PreprocessConfig;
  weight?: number;
}

export interface PredictOptions {
  batchSize?: number;
  device?: Device;
  precision?: Precision;
  channelsLast?: boolean;
  tta?: TtaOptions;
  ensemble?: 'probabilities' | 'embeddings';
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DatasetPredictions {
  /** [N, K] class probabilities. */
  probs: Tensor;
  /** [N, D] embeddings (concatenated, weighted, for ensembles). */
  embeddings: Tensor;
  /** [N] labels as the dataset gives them (-1 for unlabeled). */
  labels: Tensor;
  /** Dataset index and path of each row (unreadable images are left out). */
  indices: number[];
  paths: string[];
  /** Images that could not be read: a one-line summary, and each file with its reason. */
  skipped: string;
  skippedFiles: readonly SkippedFile[];
  dispose(): void;
}

interface MemberOutput {
  scores: Tensor;
  embeddings: Tensor;
  labels: Tensor;
  indices: number[];
  paths: string[];
  skipped: SkipReport;
}

async function runMember(member: EnsembleMember, ds: ImageDataset, options: PredictOptions, logits: boolean): Promise<MemberOutput> {
  const { model } = member;
  const device = options.device ?? 'cpu';
  const precision = options.precision ?? 'float32';
  const loader = evalLoader(ds, { preprocess: member.preprocess, batchSize: options.batchSize ?? 32, workers: options.workers });
  const scores: Tensor[] = [];
  const embs: Tensor[] = [];
  const labels: Tensor[] = [];
  const indices: number[] = [];
  const paths: string[] = [];
  const wrap = (f: () => Tensor): Tensor => (precision === 'float32' ? f() : autocast({ deviceType: device === 'cpu' ? 'cpu' : 'cuda', dtype: precision }, f));
  model.eval();
  const total = loader.batchesPerEpoch();
  let done = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      try {
        const out = noGrad(() =>
          scope(() => {
            const x = batch.images.to({ device, memoryFormat: options.channelsLast ? 'channelsLast' : undefined });
            const { probs, embeddings, logits: z } = ttaForward(model, x, options.tta, wrap);
            // Embedding ensembles combine the members' logits (their classifiers side by side).
            const s = logits ? z : probs;
            return { s: s.cpu().keep(), e: embeddings.cpu().keep(), y: batch.labels.clone().keep() };
          }),
        );
        scores.push(out.s);
        embs.push(out.e);
        labels.push(out.y);
        indices.push(...batch.indices);
        paths.push(...batch.paths);
      } finally {
        batch.dispose();
      }
      options.onProgress?.(++done, total);
    }
  } catch (e) {
    for (const t of [...scores, ...embs, ...labels]) t.dispose();
    throw e;
  }
  const joined = scope(() => ({ scores: cat(scores).keep(), embeddings: cat(embs).keep(), labels: cat(labels).keep() }));
  for (const t of [...scores, ...embs, ...labels]) t.dispose();
  return { ...joined, indices, paths, skipped: loader.report() };
}

/** Predicts a dataset with one model or an ensemble (see the file comment). */
export async function predictDataset(members: EnsembleMember | EnsembleMember[], ds: ImageDataset, options: PredictOptions = {}): Promise<DatasetPredictions> {
  const list = Array.isArray(members) ? members : [members];
  if (!list.length) throw new RangeError('predictDataset: no models');
  const mode = options.ensemble ?? 'probabilities';
  if (mode !== 'probabilities' && mode !== 'embeddings') throw new TypeError(`unknown ensemble mode '${mode}'`);
  const outs: MemberOutput[] = [];
  try {
    for (const m of list) outs.push(await runMember(m, ds, options, mode === 'embeddings' && list.length > 1));
    const first = outs[0]!;
    for (const o of outs) {
      if (o.indices.join() !== first.indices.join()) throw new Error('ensemble members read different images (a file became unreadable mid-run?)');
    }
    const weights = list.map((m) => m.weight ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    const combined = scope(() => {
      if (list.length === 1) return { probs: first.scores.clone(), embeddings: first.embeddings.clone() };
      let acc: Tensor | null = null;
      outs.forEach((o, i) => {
        const w = o.scores.mul(weights[i]! / total);
        acc = acc ? acc.add(w) : w;
      });
      const probs = mode === 'embeddings' ? softmax(acc!, 1) : acc!;
      // Scaled as the logits are combined: [w1 e1, ..., wm em] / sum(w) through [W1 ... Wm].
      const embeddings = cat(
        outs.map((o, i) => o.embeddings.mul(weights[i]! / total)),
        1,
      );
      return { probs, embeddings };
    });
    const result: DatasetPredictions = {
      probs: combined.probs.keep(),
      embeddings: combined.embeddings.keep(),
      labels: first.labels.clone().keep(),
      indices: first.indices,
      paths: first.paths,
      skipped: first.skipped.summary(),
      skippedFiles: first.skipped.files,
      dispose() {
        this.probs.dispose();
        this.embeddings.dispose();
        this.labels.dispose();
      },
    };
    return result;
  } finally {
    for (const o of outs) for (const t of [o.scores, o.embeddings, o.labels]) t.dispose();
  }
}
