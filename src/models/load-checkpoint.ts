/**
 * Building a model from a finegrain checkpoint: the architecture and its options, classes,
 * input size and normalisation all come from the checkpoint, so `eval` and `predict` need
 * nothing but the file. `ema: 'ema'` insists on the averaged weights, `'trained'` ignores them.
 *
 * @example
 *   const { model, meta } = loadModelFromCheckpoint('runs/birds/checkpoints/best.safetensors');
 *   meta.classes[model.forward(x).argmax(1).item()];
 */
import { createModel, listModels } from './registry.js';
import type { PreprocessConfig } from './preprocess-config.js';
import type { ImageClassifier } from './classifier.js';
import type { Device } from '../tensor/device.js';
import { loadCheckpoint } from './checkpoint/checkpoint.js';
import { CheckpointError, type CheckpointMeta } from './checkpoint/meta.js';

/** What `loadModelFromCheckpoint` returns: the model, ready for inference, and what the checkpoint says about it. */
export interface LoadedModel {
  /** The model in eval mode, its weights loaded (the EMA's when chosen). */
  model: ImageClassifier;
  /** The checkpoint's metadata: classes, architecture, epoch. */
  meta: CheckpointMeta;
  /** How this model's inputs are prepared (the checkpoint's own; never a default). */
  preprocess: PreprocessConfig;
  /** The checkpoint file. */
  path: string;
}

/** Options of `loadModelFromCheckpoint`. */
export interface LoadModelOptions {
  /** Where to put the model (default: the CPU). */
  device?: Device;
  /**
   * Which of the checkpoint's parameter sets to use: `'auto'` (default) the EMA average when
   * the run kept one, else the trained parameters; `'ema'` requires the average; `'trained'`
   * ignores it.
   */
  ema?: 'auto' | 'ema' | 'trained';
}

/**
 * Opens a checkpoint (its metadata validated, see src/io/checkpoint/meta.ts) and builds
 * its model in eval mode. A checkpoint naming an architecture the registry does not have,
 * or whose tensors do not fit it, fails with a CheckpointError naming the file.
 */
export function loadModelFromCheckpoint(path: string, options: LoadModelOptions = {}): LoadedModel {
  const ckpt = loadCheckpoint(path);
  try {
    const { meta } = ckpt;
    const which = options.ema ?? 'auto';
    if (which === 'ema' && !ckpt.ema) throw new CheckpointError(`${path} holds no EMA weights`);
    if (!listModels().includes(meta.model)) throw new CheckpointError(`${path}: model: unknown architecture '${meta.model}'`);
    const model = createModel(meta.model, { ...(meta.modelOptions as object), numClasses: meta.classes.length });
    try {
      const useEma = which === 'ema' || (which === 'auto' && ckpt.ema !== null);
      try {
        model.loadStateDict(useEma ? ckpt.ema! : ckpt.model);
      } catch (e) {
        throw new CheckpointError(`${path}: its tensors do not fit ${meta.model}: ${(e as Error).message}`);
      }
      if (options.device && options.device !== 'cpu') model.to({ device: options.device });
      model.eval();
      return { model, meta, preprocess: meta.preprocess, path };
    } catch (e) {
      model.dispose();
      throw e;
    }
  } finally {
    ckpt.dispose();
  }
}
