/**
 * `--pretrained` with a finegrain run checkpoint: a new run starts from another run's network
 * — every weight but the classifier's, and the classifier's rows of the classes both runs
 * share (matched by name) — so that a model can be retrained with new classes (those enrolled
 * from photos, docs/enrollment.md, once their photos have accumulated) without starting again
 * from ImageNet weights. New classes' rows start as the architecture initialises them.
 *
 * @example
 *   if (isRunCheckpoint(c.pretrained)) model = modelFromRunCheckpoint(c.pretrained, c, classes);
 */
import { existsSync } from 'node:fs';
import { openSafetensors } from '../io/safetensors/index.js';
import type { ImageClassifier } from '../models/classifier.js';
import { loadModelFromCheckpoint } from '../models/load-checkpoint.js';
import { createModel, type CreateModelOptions } from '../models/registry.js';
import { noGrad } from '../autograd/grad-mode.js';
import { scope } from '../tensor/scope.js';
import { UsageError } from '../usage-error.js';

/** Whether `path` is a finegrain run checkpoint (a safetensors file with finegrain metadata). */
export function isRunCheckpoint(path: string | undefined): path is string {
  if (!path || !/\.safetensors$/i.test(path) || !existsSync(path)) return false;
  try {
    using f = openSafetensors(path);
    return typeof f.metadata.finegrain === 'string';
  } catch {
    return false;
  }
}

/**
 * A `model` network for `classes` with the run checkpoint's weights (see the module comment);
 * in training mode. Returns how many classes kept their rows, for the log.
 */
export function modelFromRunCheckpoint(
  path: string,
  model: string,
  options: CreateModelOptions & { numClasses: number },
  classes: readonly string[],
): { model: ImageClassifier; keptRows: number } {
  const source = loadModelFromCheckpoint(path, { ema: 'auto' });
  try {
    if (source.meta.model !== model)
      throw new UsageError(`${path} is a ${source.meta.model} checkpoint; train it with --model ${source.meta.model} (or start from other weights)`);
    const target = createModel(model, { ...(source.meta.modelOptions as object), ...options });
    try {
      const head = target.classifierPath + '.';
      const from = new Map(source.model.stateEntries());
      const oldIndex = new Map(source.meta.classes.map((c, i) => [c, i]));
      let keptRows = 0;
      noGrad(() =>
        scope(() => {
          for (const [key, t] of target.stateEntries()) {
            const s = from.get(key);
            if (!s) throw new UsageError(`${path}: no tensor '${key}' for ${model}`);
            if (!key.startsWith(head)) {
              if (s.shape.join() !== t.shape.join()) throw new UsageError(`${path}: '${key}' is [${s.shape}], ${model} here needs [${t.shape}]`);
              t.copy_(s);
              continue;
            }
            // Classifier rows by class name; the classes the checkpoint did not have keep their init.
            classes.forEach((c, i) => {
              const j = oldIndex.get(c);
              if (j !== undefined && t.shape.length >= 1) t.select(0, i).copy_(s.select(0, j));
            });
          }
          keptRows = classes.filter((c) => oldIndex.has(c)).length;
        }),
      );
      target.train();
      return { model: target, keptRows };
    } catch (e) {
      target.dispose();
      throw e;
    }
  } finally {
    source.model.dispose();
  }
}
