/**
 * Building a model from a finegrain checkpoint: the architecture and its options, classes,
 * input size and normalisation all come from the checkpoint, so `eval` and `predict` need
 * nothing but the file. `weights: 'ema'` takes the averaged weights when the run kept them.
 *
 * @example
 *   const { model, meta } = loadModelFromCheckpoint('runs/birds/checkpoints/best.safetensors');
 *   meta.classes[model.forward(x).argmax(1).item()];
 */
import { createModel } from '../models/registry.js';
import type { ImageClassifier } from '../models/classifier.js';
import type { Device } from '../tensor/device.js';
import { loadCheckpoint, type CheckpointMeta } from '../train/checkpoint.js';

export interface LoadedModel {
  model: ImageClassifier;
  meta: CheckpointMeta;
  path: string;
}

export function loadModelFromCheckpoint(path: string, options: { device?: Device; weights?: 'ema' | 'model' | 'auto' } = {}): LoadedModel {
  const ckpt = loadCheckpoint(path);
  try {
    const { meta } = ckpt;
    const model = createModel(meta.model, { ...(meta.modelOptions as object), numClasses: meta.classes.length });
    try {
      const useEma = options.weights === 'ema' || ((options.weights ?? 'auto') === 'auto' && ckpt.ema !== null);
      if (options.weights === 'ema' && !ckpt.ema) throw new Error(`${path} holds no EMA weights`);
      model.loadStateDict(useEma ? ckpt.ema! : ckpt.model);
      if (options.device && options.device !== 'cpu') model.to({ device: options.device });
      model.eval();
      return { model, meta, path };
    } catch (e) {
      model.dispose();
      throw e;
    }
  } finally {
    ckpt.dispose();
  }
}
