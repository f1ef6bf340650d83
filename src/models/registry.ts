/**
 * The model registry: `createModel(name, options)` builds any model of the zoo by its
 * torchvision or timm name, optionally loading pretrained weights from a safetensors file
 * (a new `numClasses` re-initialises the classifier, the rest must match); `listModels()`
 * enumerates names.
 *
 * @example
 *   listModels('regnet_y');                                  // ['regnet_y_400mf', …]
 *   const m = createModel('regnet_y_16gf', { numClasses: 200, pretrained: 'regnet_y_16gf.safetensors' });
 *   const se = createModel('resnet50', { attention: 'se' });
 */
import type { AttentionKind } from '../nn/attention/index.js';
import { ATTENTION_KINDS } from '../nn/attention/index.js';
import { withoutInit } from '../nn/init.js';
import type { ModuleToOptions } from '../nn/module.js';
import type { ImageClassifier } from './classifier.js';
import type { ModelOptions, ModelVariant } from './variant.js';
import { imagenetPreprocess, type PreprocessConfig } from './preprocess-config.js';
import { classifierRows, hasKeysUnder, loadPretrained } from './pretrained/load-weights-file.js';
import { ZOO } from './zoo.js';
import { readMaeEncoder, resolveWeightsPath } from './vit/mae-encoder.js';
import { sameVitArchitecture } from './vit/vit-weights.js';
import { VIT } from './vit/vit.js';
import { UsageError } from '../usage-error.js';

/** Options of `createModel`: the model's options (classes, dropout, attention, family options) plus weights to load and where to put the model. */
export interface CreateModelOptions extends Partial<ModelOptions> {
  /**
   * The model's pretrained weights (reference key names): a safetensors file or a PyTorch
   * checkpoint (`.pth`, `.bin`, `.ckpt`; `file#entry` for a nested state dict). Weights by
   * name (`torchvision:resnet50`, `hf-hub:timm/…`): `fromPretrained`. With a different
   * `numClasses` than the file's classifier, the classifier is re-initialised. ViTs also take a
   * finegrain MAE encoder (`runs/mae/<name>`, the folder or its `encoder.safetensors`: the
   * architecture must match, `imageSize` and `patchSize` default to the encoder's) and the MAE
   * reference checkpoints (`mae_pretrain_vit_base.pth`, into `vit_base_patch16_224` or `vit_b_16`).
   */
  pretrained?: string;
  /** Called with one line saying which entry of a training checkpoint was taken, and what was stripped. */
  log?: (line: string) => void;
  /**
   * With `pretrained`: the file's classifier must be loaded too, never re-initialised (how
   * `finegrain forward` runs weights trained elsewhere as they are). Without `numClasses`
   * the class count is then the file's.
   */
  exactPretrained?: boolean;
  /** Where and how to keep the weights after loading. */
  to?: ModuleToOptions;
}

const byName = new Map<string, ModelVariant>();
let zooLoaded = false;

function table(): Map<string, ModelVariant> {
  if (!zooLoaded) {
    zooLoaded = true;
    for (const v of ZOO) add(v);
  }
  return byName;
}

function add(v: ModelVariant): void {
  if (byName.has(v.name)) throw new Error(`model '${v.name}' is already registered`);
  byName.set(v.name, v);
}

/**
 * Adds a variant (e.g. an experimental family outside the zoo); names must be unique.
 * @example registerModel({ name: 'my_net', family: 'custom', source: 'timm', inputSize: [3, 224, 224], build: (o) => new MyNet(o) });
 */
export function registerModel(variant: ModelVariant): void {
  table();
  add(variant);
}

/**
 * Registered model names, sorted; `filter` keeps names containing a substring or matching
 * a RegExp.
 * @example listModels(/^efficientnet_b[0-3]$/);
 */
export function listModels(filter?: string | RegExp): string[] {
  const names = [...table().keys()].sort();
  if (filter === undefined) return names;
  return names.filter((n) => (typeof filter === 'string' ? n.includes(filter) : filter.test(n)));
}

/**
 * The registry row of a model (family, source, default input size) without building it.
 * @example modelInfo('efficientnet_b3').inputSize; // [3, 300, 300]
 */
export function modelInfo(name: string): Omit<ModelVariant, 'build'> {
  const { build: _build, ...info } = variant(name);
  return info;
}

/**
 * The preprocessing the reference weights of a model expect (timm's `pretrained_cfg`): its
 * default input size, ImageNet's mean and std unless the family says otherwise, and
 * torchvision's evaluation crop (0.875). A finegrain checkpoint stores its own instead.
 * @example defaultPreprocess('nasnetalarge'); // { inputSize: 331, mean: [0.5, 0.5, 0.5], … }
 */
export function defaultPreprocess(name: string): PreprocessConfig {
  const v = variant(name);
  return imagenetPreprocess(v.inputSize[1], { cropFraction: 0.875, ...v.preprocess });
}

function variant(name: string): ModelVariant {
  const v = table().get(name);
  if (!v) {
    const near = listModels().filter((n) => n.startsWith(name.replace(/[_\d].*$/, '')));
    throw new Error(`unknown model '${name}'${near.length ? `; did you mean one of: ${near.slice(0, 12).join(', ')}` : ''}`);
  }
  return v;
}

/** Checks that the MAE encoder fits model `name` and fills `opts`' sides from it. */
function fitMaeEncoder(name: string, opts: ModelOptions, info: { model: string; imageSize: number; patchSize: number }, file: string): void {
  if (!sameVitArchitecture(info.model, name))
    throw new UsageError(`${file} is an MAE encoder of ${info.model}; ${name} is another architecture (use --model ${info.model})`);
  opts.imageSize ??= info.imageSize;
  const fixedPatch = VIT[name]?.patchSize;
  if (fixedPatch !== undefined) {
    if (fixedPatch !== info.patchSize) throw new UsageError(`${file}: the encoder's patches are ${info.patchSize} px, ${name}'s are ${fixedPatch} px`);
  } else {
    opts.patchSize ??= info.patchSize;
    if (opts.patchSize !== info.patchSize)
      throw new UsageError(
        `${file}: the encoder was pretrained with ${info.patchSize}-px patches; patchSize ${opts.patchSize} would not fit its patch projection (only the image size may change)`,
      );
  }
}

/**
 * Builds a model by name. With `pretrained`, the weights are read tensor by tensor from the
 * file into a model built without random initialisation (weights by name, `torchvision:…` or
 * `hf-hub:…`, come through `fromPretrained`, which downloads them first).
 *
 * @example
 *   const model = createModel('efficientnet_b0', { numClasses: 102, dropRate: 0.3 });
 *   const tuned = createModel('resnet50', { pretrained: 'resnet50-0676ba61.pth', numClasses: 200 });
 */
export function createModel(name: string, options: CreateModelOptions = {}): ImageClassifier {
  const v = variant(name);
  const { pretrained: spec, exactPretrained, to, log, ...rest } = options;
  const opts: ModelOptions = { numClasses: 1000, ...rest };
  // An MAE run folder means its encoder; the encoder's metadata fixes the architecture and
  // gives the input and patch sides the options leave out.
  const pretrained = spec ? resolveWeightsPath(spec) : undefined;
  const mae = pretrained ? readMaeEncoder(pretrained) : null;
  if (mae) fitMaeEncoder(name, opts, mae.info, pretrained!);
  if (!Number.isInteger(opts.numClasses) || opts.numClasses < 0) throw new RangeError(`numClasses must be a non-negative integer, got ${opts.numClasses}`);
  if (opts.attention !== undefined) {
    if (!v.supportsAttention) throw new Error(`model '${name}' does not take an attention option (only the ResNet family does)`);
    if (!ATTENTION_KINDS.includes(opts.attention as AttentionKind))
      throw new TypeError(`unknown attention '${opts.attention}'; expected one of ${ATTENTION_KINDS.join(', ')}`);
  }
  if (pretrained && v.auxPrefixes && (opts as { auxLogits?: boolean }).auxLogits === undefined) {
    // torchvision drops the aux classifiers of pretrained googlenet/inception_v3 after loading;
    // a file saved from such a model has none, so build without them rather than fail.
    (opts as { auxLogits?: boolean }).auxLogits = hasKeysUnder(pretrained, v.auxPrefixes);
  }
  const model = pretrained ? withoutInit(() => v.build(opts)) : v.build(opts);
  try {
    if (pretrained && exactPretrained && options.numClasses === undefined) {
      const rows = classifierRows(pretrained, model.classifierPath);
      if (rows !== undefined && rows !== model.numClasses) withoutInit(() => model.resetClassifier(rows));
    }
    if (pretrained) loadPretrained(model, pretrained, { exact: exactPretrained, modelName: name, ...(log ? { log } : {}) });
    if (to) model.to(to);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
