/**
 * The model a run trains, and its optimiser: the architecture from the registry with the
 * run's options, pretrained weights (a weights file or name, see `CreateModelOptions.pretrained`, or `imagenet` for the
 * models with an ImageNet import, whose folded BatchNorms are then recalibrated on a few
 * training batches so training-mode BatchNorm keeps the pretrained function), frozen early
 * layers, and the optimiser's parameter groups.
 *
 * @example
 *   const model = await buildModel(config, classes.length, trainSet, preprocess);
 *   const optimizer = makeOptimizer(config, model);
 */
import type { ImageDataset } from '../data/datasets/dataset.js';
import { evalLoader } from '../data/loader/eval-loader.js';
import type { ImageClassifier } from '../models/classifier.js';
import { loadPretrainedModel, onnxImportableModels } from '../models/pretrained/load-pretrained-model.js';
import { recalibrateBatchNorm } from '../models/pretrained/recalibrate.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { createModel, type CreateModelOptions } from '../models/registry.js';
import { AdamW } from '../optim/adamw.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import type { Device } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import { UsageError } from '../usage-error.js';
import { pretrainedOptions } from '../hub/index.js';
import type { TrainConfig } from './config.js';
import { isRunCheckpoint, modelFromRunCheckpoint } from './init-from-checkpoint.js';

/**
 * The options the run's model is created with (stored in every checkpoint), including those
 * the pretrained weights require (torchvision's googlenet weights: `transformInput`).
 */
export function modelOptions(c: TrainConfig, numClasses: number): CreateModelOptions & { numClasses: number } {
  const { pretrained: _file, ...required } = c.pretrained && c.pretrained !== 'imagenet' ? pretrainedOptions(c.pretrained, c.model) : { pretrained: '' };
  return { ...required, numClasses, dropRate: c.dropRate, ...(c.attention ? { attention: c.attention } : {}) };
}

export async function buildModel(
  c: TrainConfig,
  numClasses: number,
  calibration: ImageDataset,
  preprocess: PreprocessConfig,
  options: { classes?: readonly string[]; log?: (line: string) => void } = {},
): Promise<ImageClassifier> {
  if (isRunCheckpoint(c.pretrained)) {
    // Another run's network: its weights, and its head rows for the classes both share.
    const classes = options.classes ?? calibration.classes;
    const { model, keptRows } = modelFromRunCheckpoint(c.pretrained, c.model, modelOptions(c, numClasses), classes);
    options.log?.(`init: ${c.pretrained}: every weight, and the classifier rows of ${keptRows} of ${classes.length} classes (matched by name)`);
    return model;
  }
  if (c.pretrained !== 'imagenet') {
    return createModel(c.model, { ...modelOptions(c, numClasses), ...(c.pretrained ? pretrainedOptions(c.pretrained, c.model) : {}) });
  }
  if (!onnxImportableModels().includes(c.model)) {
    throw new UsageError(
      `pretrained 'imagenet' is available for ${onnxImportableModels().join(', ')}; for ${c.model} pass torchvision:${c.model}, an hf-hub: name or a weights file`,
    );
  }
  const model = loadPretrainedModel(c.model, { numClasses, dropRate: c.dropRate });
  const loader = evalLoader(calibration, { preprocess, batchSize: 32, workers: c.workers });
  const batches: Tensor[] = [];
  try {
    for await (const b of loader.epoch(0)) {
      batches.push(b.images.clone().keep());
      b.dispose();
      if (batches.length >= 4) break;
    }
    recalibrateBatchNorm(model, batches);
  } finally {
    for (const t of batches) t.dispose();
  }
  model.train();
  return model;
}

/** An empty model of the run's architecture where the run keeps it (the EMA's shadow). */
export function buildModelLike(c: TrainConfig, numClasses: number, device: Device, channelsLast: boolean): ImageClassifier {
  const m = createModel(c.model, modelOptions(c, numClasses));
  if (device !== 'cpu' || channelsLast) m.to({ device, memoryFormat: channelsLast ? 'channelsLast' : undefined });
  return m;
}

/**
 * `freezeUntil`: switches off gradients of every parameter registered before the named
 * module. Returns how many parameter tensors it froze.
 */
export function freezeUntil(model: ImageClassifier, name: string): number {
  const modules = model.namedModules().map(([n]) => n);
  if (!modules.includes(name)) {
    const top = modules.filter((n) => n && !n.includes('.')).join(', ');
    throw new UsageError(`freezeUntil: ${model.constructor.name} has no module '${name}' (top-level modules: ${top})`);
  }
  let frozen = 0;
  for (const [n, p] of model.namedParameters()) {
    if (n.startsWith(name + '.')) break;
    p.requiresGrad_(false);
    frozen++;
  }
  return frozen;
}

/**
 * Optimiser groups: decay / no-decay (no weight decay on norms and biases), each split into
 * body and classifier when `headLr` gives the classifier its own learning rate.
 */
export function makeOptimizer(c: TrainConfig, model: ImageClassifier): Optimizer<{ lr: number }> {
  const head = model.classifierPath + '.';
  const groups = model.parameterGroups({ weightDecay: c.weightDecay }).flatMap((g) => {
    // The head gets groups of its own when it has its own rate or trains alone first.
    if (c.headLr === undefined && !(c.headOnlyEpochs > 0)) return [{ params: g.params, weightDecay: g.weightDecay, lr: c.lr }];
    const isHead = g.names.map((n) => n.startsWith(head));
    return [
      { params: g.params.filter((_, i) => !isHead[i]), weightDecay: g.weightDecay, lr: c.lr },
      { params: g.params.filter((_, i) => isHead[i]), weightDecay: g.weightDecay, lr: c.headLr ?? c.lr },
    ].filter((x) => x.params.length > 0);
  });
  return c.optimizer === 'adamw'
    ? new AdamW(groups, { lr: c.lr, weightDecay: c.weightDecay })
    : new SGD(groups, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.momentum > 0 });
}
