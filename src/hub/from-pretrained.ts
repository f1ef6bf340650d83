/**
 * Pretrained weights by name, in one awaited call: `fromPretrained('torchvision:resnet50')`
 * downloads the weights into the shared cache (or finds them there), builds the architecture
 * they are for, loads them, and says how inputs must be prepared — the TypeScript side of
 * timm's `create_model(name, pretrained=True)` and transformers.js's `from_pretrained`.
 *
 * @example
 *   const { model, preprocess } = await fromPretrained('hf-hub:timm/regnety_160.swag_ft_in1k', { numClasses: 33 });
 *   const { model: r50 } = await fromPretrained('torchvision:resnet50.IMAGENET1K_V2');
 *   const { model: mine } = await fromPretrained('https://example.org/resnet18-finetuned.pth', { model: 'resnet18' });
 */
import type { ImageClassifier } from '../models/classifier.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { createModel, defaultPreprocess, type CreateModelOptions } from '../models/registry.js';
import { UsageError } from '../usage-error.js';
import { resolvePretrained, resolvePretrainedCached, type PretrainedSource, type ResolveOptions } from './resolve.js';
import { isWeightsSpec } from './spec.js';

/** Options of `fromPretrained`: how to build the model (`createModel`'s options) and how to fetch the weights (`resolvePretrained`'s). */
export interface FromPretrainedOptions extends Omit<CreateModelOptions, 'pretrained'>, ResolveOptions {
  /** The architecture, for sources that do not name one (a plain URL); checked against those that do. */
  model?: string;
}

/** What `fromPretrained` returns: the model with its weights and how to feed it. */
export interface PretrainedModel {
  /** The model in eval mode, its weights loaded (a new `numClasses` gets a fresh classifier). */
  model: ImageClassifier;
  /** How the weights expect inputs: the source's own (timm's pretrained_cfg, torchvision's transform), else the architecture's default. */
  preprocess: PreprocessConfig;
  /** The classifier's class names, when the source has them and the classifier was kept. */
  classNames?: string[];
  /** Where the weights came from: the cached file and everything the source said. */
  source: PretrainedSource;
}

/**
 * Resolves `spec` (downloading when needed) and builds its model with the weights loaded.
 *
 * @example
 *   const { model, preprocess, classNames } = await fromPretrained('torchvision:mobilenet_v3_large');
 */
export async function fromPretrained(spec: string, options: FromPretrainedOptions = {}): Promise<PretrainedModel> {
  const { offline, cacheDir, progress, signal, refresh, model: asked, ...create } = options;
  const source = await resolvePretrained(spec, { offline, cacheDir, progress, signal, refresh });
  const architecture = asked ?? source.architecture;
  if (!architecture) throw new UsageError(`${spec} does not say which architecture its weights are for: pass { model: 'resnet50' } (or --model)`);
  // Without a new numClasses the model is the weights' own, classifier included.
  const model = createModel(architecture, {
    ...(create.numClasses === undefined ? { exactPretrained: true } : {}),
    ...create,
    ...pretrainedOptions(spec, architecture),
  }).eval();
  const kept = create.numClasses === undefined || create.numClasses === source.numClasses;
  return {
    model,
    preprocess: source.preprocess ?? defaultPreprocess(architecture),
    ...(kept && source.classNames ? { classNames: source.classNames } : {}),
    source,
  };
}

/**
 * The `createModel` options that load the weights `spec` names into `model`: the cached file
 * (a weights name is looked up in the cache, synchronously — fetch it first with
 * `resolvePretrained`) and the options the reference sets when loading them (torchvision's
 * googlenet weights: `transformInput`). A file path passes through. Throws when the weights
 * are for another architecture.
 *
 * @example
 *   await resolvePretrained('torchvision:googlenet');
 *   const m = createModel('googlenet', { numClasses: 10, ...pretrainedOptions('torchvision:googlenet', 'googlenet') });
 */
export function pretrainedOptions(
  spec: string,
  model: string,
): CreateModelOptions & {
  /** The weights file to load: the cached download, or `spec` itself when it is a path. */
  pretrained: string;
} {
  if (!isWeightsSpec(spec)) return { pretrained: spec };
  const source = resolvePretrainedCached(spec);
  if (source.architecture && source.architecture !== model) throw new UsageError(`${spec} holds weights for ${source.architecture}, not ${model}`);
  return { ...source.modelOptions, pretrained: source.file };
}
