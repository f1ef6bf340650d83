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
import { createModel, modelInfo, type CreateModelOptions } from '../models/registry.js';
import { isVitNoDecay, vitDepth, vitLayerId } from '../models/vit/vit-weights.js';
import { AdamW } from '../optim/adamw.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { ParameterGroup } from '../nn/parameter-groups.js';
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
  return { ...required, numClasses, dropRate: c.dropRate, ...(c.attention ? { attention: c.attention } : {}), ...vitOptions(c) };
}

/**
 * The ViT options of a run: a ViT's position embedding is sized for one input side, the run's
 * imageSize; timm-named ViTs also take the patch side, pooling and drop path. Refuses them (and
 * layer decay, and a resolution change) for models they do not apply to.
 */
function vitOptions(c: TrainConfig): Partial<CreateModelOptions> {
  const info = modelInfo(c.model);
  const vit = info.family === 'vit';
  const timmVit = vit && info.source === 'timm';
  for (const [key, flag] of [
    ['globalPool', '--global-pool'],
    ['dropPath', '--drop-path'],
    ['patchSize', '--patch-size'],
  ] as const) {
    if (c[key] !== undefined && !timmVit)
      throw new UsageError(`${flag} applies to the timm-named ViTs (vit_tiny_patch16_224, vit_small_patch16_224, vit_base_patch16_224, …), not ${c.model}`);
  }
  if (c.layerDecay !== undefined && !vit) throw new UsageError(`--layer-decay applies to Vision Transformers (vit_*), not ${c.model}`);
  if (!vit) return {};
  if (c.finalImageSize !== undefined && c.finalImageSize !== c.imageSize)
    throw new UsageError(`${c.model}: a ViT's position embedding is sized for one input side; train it at --image-size without --final-image-size`);
  return {
    imageSize: c.imageSize,
    ...(c.patchSize !== undefined ? { patchSize: c.patchSize } : {}),
    ...(c.globalPool !== undefined ? { globalPool: c.globalPool } : {}),
    ...(c.dropPath !== undefined ? { dropPath: c.dropPath } : {}),
  };
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
    return createModel(c.model, {
      ...modelOptions(c, numClasses),
      // modelOptions holds what the weights require; the run's ViT side wins over theirs.
      ...(c.pretrained ? { pretrained: pretrainedOptions(c.pretrained, c.model).pretrained } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
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

/** A parameter group with its share of the peak learning rate. */
interface ScaledGroup extends ParameterGroup {
  /** The group's learning rate as a multiple of lr (1 without layer decay). */
  lrScale: number;
}

/**
 * MAE's `param_groups_lrd` (from BEiT): one group per (layer id, decay or not), layer id 0 for
 * the class token, position and patch embeddings, i + 1 for block i and depth + 1 for the rest
 * (final norm, fc_norm, head); a group learns at decay^(depth + 1 − id) of the rate. No weight
 * decay on 1-D parameters, the class token and the position embedding (timm's
 * `no_weight_decay()`).
 *
 * @example
 *   layerDecayGroups(vit, 0.05, 0.75); // blocks.0 at 0.75^12, blocks.11 at 0.75, head at 1
 */
export function layerDecayGroups(model: ImageClassifier, weightDecay: number, decay: number): ScaledGroup[] {
  const depth = vitDepth(model);
  // The decay / no-decay split is parameterGroups'; each half is split again by layer id.
  return model.parameterGroups({ weightDecay, noDecay: isVitNoDecay }).flatMap((half) => {
    const byLayer = new Map<number, ScaledGroup>();
    half.names.forEach((name, i) => {
      const id = vitLayerId(name, depth);
      let g = byLayer.get(id);
      if (!g) byLayer.set(id, (g = { params: [], names: [], weightDecay: half.weightDecay, lrScale: decay ** (depth + 1 - id) }));
      g.params.push(half.params[i]!);
      g.names.push(name);
    });
    return [...byLayer.values()];
  });
}

/**
 * Optimiser groups: decay / no-decay (no weight decay on norms and biases), each split into
 * body and classifier when `headLr` gives the classifier its own learning rate; with
 * `layerDecay`, MAE's layer-wise groups (`layerDecayGroups`) instead.
 */
export function makeOptimizer(c: TrainConfig, model: ImageClassifier): Optimizer<{ lr: number }> {
  const head = model.classifierPath + '.';
  const base: ScaledGroup[] =
    c.layerDecay !== undefined
      ? layerDecayGroups(model, c.weightDecay, c.layerDecay)
      : model.parameterGroups({ weightDecay: c.weightDecay }).map((g) => ({ ...g, lrScale: 1 }));
  const groups = base.flatMap((g) => {
    // The head gets groups of its own when it has its own rate or trains alone first.
    const lr = c.lr * g.lrScale;
    if (c.headLr === undefined && !(c.headOnlyEpochs > 0)) return [{ params: g.params, weightDecay: g.weightDecay, lr }];
    const isHead = g.names.map((n) => n.startsWith(head));
    return [
      { params: g.params.filter((_, i) => !isHead[i]), weightDecay: g.weightDecay, lr },
      { params: g.params.filter((_, i) => isHead[i]), weightDecay: g.weightDecay, lr: c.headLr ?? lr },
    ].filter((x) => x.params.length > 0);
  });
  return c.optimizer === 'adamw'
    ? new AdamW(groups, { lr: c.lr, weightDecay: c.weightDecay })
    : new SGD(groups, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.momentum > 0 });
}
