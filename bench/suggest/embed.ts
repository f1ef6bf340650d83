/**
 * The frozen backbone's embeddings of a dataset — the MobileNetV2 ImageNet import
 * (../shared/weights) with its own preprocessing, run as `eval` runs a model (predictDataset) —
 * cached in a safetensors file so a rerun of the benchmark skips the forward passes.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ImageDataset } from '../../src/data/datasets/dataset.js';
import { predictDataset } from '../../src/evaluation/predict-dataset.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/index.js';
import { loadPretrainedModel } from '../../src/models/pretrained/load-pretrained-model.js';
import { defaultPreprocess } from '../../src/models/registry.js';
import { resolvePrecision } from '../../src/runtime/device-choice.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Embeddings [N, D] (one row per readable image) and the dataset index of each row. */
export interface Embedded {
  embeddings: Tensor;
  indices: number[];
}

/** The backbone every embedding here comes from. */
export const BACKBONE = 'mobilenet_v2';

/** Embeds `ds` (or reads the cache at `cache`, made for the same dataset). */
export async function embedDataset(ds: ImageDataset, cache: string | null, log: (s: string) => void): Promise<Embedded> {
  if (cache && existsSync(cache)) {
    const { tensors, metadata } = loadSafetensors(cache);
    const indices = JSON.parse(metadata?.indices ?? '[]') as number[];
    if (metadata?.source === ds.source && metadata?.count === String(ds.samples.length)) return { embeddings: tensors.embeddings!, indices };
    for (const t of Object.values(tensors)) t.dispose();
  }
  const model = loadPretrainedModel(BACKBONE, { numClasses: 0 });
  const start = performance.now();
  try {
    const preds = await predictDataset({ model, preprocess: defaultPreprocess(BACKBONE) }, ds, {
      batchSize: 32,
      precision: resolvePrecision('auto', 'cpu'),
      onProgress: (d, t) => d % 20 === 0 && log(`  embedded ${d}/${t} batches`),
    });
    const embeddings = preds.embeddings.float().contiguous();
    for (const t of [preds.probs, preds.logits, preds.labels]) t.dispose();
    if (embeddings !== preds.embeddings) preds.embeddings.dispose();
    log(`  ${preds.indices.length} images embedded in ${((performance.now() - start) / 1000).toFixed(0)} s (${preds.skipped})`);
    if (cache) {
      mkdirSync(dirname(cache), { recursive: true });
      saveSafetensors(cache, { embeddings }, { source: ds.source, count: String(ds.samples.length), indices: JSON.stringify(preds.indices) });
    }
    return { embeddings, indices: preds.indices };
  } finally {
    model.dispose?.();
  }
}
