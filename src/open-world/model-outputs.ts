/**
 * Logits and embeddings of one checkpoint for the open-world measures: its classifier (for
 * ReAct/SCALE and to turn embeddings into logits) and `predictOutputs`, which runs the
 * project's evaluation path (predictDataset: the same resizing, TTA and precision as `eval`)
 * and returns logits next to embeddings.
 *
 * @example
 *   const out = await predictOutputs(loaded, ds, { batchSize: 32 });
 *   out.logits; out.embeddings; out.labels; out.dispose();
 */
import { noGrad } from '../autograd/grad-mode.js';
import type { ImageDataset } from '../data/datasets/dataset.js';
import type { SkippedFile } from '../data/skip-report.js';
import { predictDataset, type PredictOptions } from '../evaluation/predict-dataset.js';
import type { LoadedModel } from '../models/load-checkpoint.js';
import type { ImageClassifier } from '../models/classifier.js';
import type { Linear } from '../nn/layers/linear.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** The model's final linear layer: weight [C, D], bias [C] (the module's own tensors; do not dispose). */
export function classifierHead(model: ImageClassifier): { weight: Tensor; bias: Tensor } {
  const head = model.getSubmodule(model.classifierPath) as Linear;
  if (!head.weight || head.weight.shape.length !== 2) throw new Error(`${model.classifierPath} is not a linear classifier`);
  if (!head.bias) throw new Error(`${model.classifierPath} has no bias`);
  return { weight: head.weight, bias: head.bias };
}

/** Logits of embeddings through the model's head (eval mode, no dropout), on the CPU. */
export function logitsOf(model: ImageClassifier, embeddings: Tensor): Tensor {
  const { weight, bias } = classifierHead(model);
  return noGrad(() => scope(() => embeddings.float().mm(weight.float().cpu().t()).add(bias.float().cpu())));
}

export interface ModelOutputs {
  /** [N, C] logits, [N, D] embeddings (CPU, float32). */
  logits: Tensor;
  embeddings: Tensor;
  labels: number[];
  paths: string[];
  skippedFiles: readonly SkippedFile[];
  dispose(): void;
}

export async function predictOutputs(loaded: Pick<LoadedModel, 'model' | 'meta'>, ds: ImageDataset, options: PredictOptions = {}): Promise<ModelOutputs> {
  const preds = await predictDataset({ model: loaded.model, preprocess: loaded.meta.preprocess }, ds, options);
  try {
    const embeddings = scope(() => preds.embeddings.float().cpu().contiguous().keep());
    const logits = logitsOf(loaded.model, embeddings);
    const labels = Array.from(preds.labels.toTypedArray() as BigInt64Array, Number);
    return {
      logits,
      embeddings,
      labels,
      paths: preds.paths,
      skippedFiles: preds.skippedFiles,
      dispose() {
        logits.dispose();
        embeddings.dispose();
      },
    };
  } finally {
    preds.dispose();
  }
}
