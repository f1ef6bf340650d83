/**
 * `resolvePretrained(spec)`: from a weights spec to a local file and what is known about it
 * (finegrain architecture, preprocessing, classes), downloading into the shared caches when
 * needed; `resolvePretrainedCached(spec)`: the same from the caches alone, synchronously.
 *
 * @example
 *   const src = await resolvePretrained('torchvision:resnet50.IMAGENET1K_V2');
 *   createModel(src.architecture!, { pretrained: src.file, numClasses: 200 });   // or, in one call: fromPretrained(spec)
 */
import { readFileSync } from 'node:fs';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { hfEndpoint, hfToken, hubCacheDir, isTrue, offlineFromEnv } from './env.js';
import { WeightsError } from './errors.js';
import { cachedCheckpoint, fetchCheckpoint } from './checkpoint-source.js';
import { parseTimmConfig } from './hf-config.js';
import { fetchHub, findCachedHub, notCachedHubError, type HubFiles } from './hf-source.js';
import { createHttp } from './http.js';
import { parseWeightsSpec } from './spec.js';
import { refusalHint, timmToFinegrain } from './timm-architectures.js';
import { torchvisionPreprocess, torchvisionUrl, torchvisionWeights } from './torchvision-source.js';
import type { TorchvisionWeights } from './torchvision-types.js';

/**
 * A resolved weights spec: the local file and its metadata.
 *
 * @example
 *   const { file, architecture, preprocess } = await resolvePretrained('torchvision:efficientnet_b3');
 *   // architecture 'efficientnet_b3', preprocess.inputSize 300, interpolation 'bicubic'
 */
export interface PretrainedSource {
  /** The spec as given. */
  spec: string;
  /** Absolute path of the weights file in the cache: safetensors, or a PyTorch .pth/.bin. */
  file: string;
  /** The finegrain registry model name (`listModels()`), where the source names one. */
  architecture?: string;
  /** Input size, crop fraction, mean, std the weights were evaluated with. */
  preprocess?: PreprocessConfig;
  /** The reference's resampling ('bilinear', 'bicubic'); finegrain resamples bilinearly. */
  interpolation?: string;
  /** The hub's `label_names`, when given. */
  classNames?: string[];
  /** The weights' classifier size when known (hub `num_classes`, torchvision 1000). */
  numClasses?: number;
  /**
   * Model options the reference sets when it loads these weights (torchvision:
   * `transformInput` for googlenet/inception_v3, `imageSize` for the 384/512 px ViTs).
   */
  modelOptions?: {
    /** Map ImageNet-normalized input to the [-1, 1] scale the weights were trained on (torchvision's googlenet and inception_v3 weights). */
    transformInput?: boolean;
    /** Input side in pixels the weights were trained at (384 or 512 for some ViT weights). */
    imageSize?: number;
  };
}

/**
 * Options of `resolvePretrained` (and, without the network ones, `resolvePretrainedCached`).
 *
 * @example
 *   await resolvePretrained('hf-hub:timm/resnet50.a1_in1k', { offline: true, cacheDir: '/data/hf-cache' });
 */
export interface ResolveOptions {
  /** Use only the caches (default: `HF_HUB_OFFLINE` / `FINEGRAIN_OFFLINE`). */
  offline?: boolean;
  /** The cache folder to use instead of the default: the hub cache for hf-hub specs, the checkpoints folder otherwise. */
  cacheDir?: string;
  /** Draw a progress bar on stderr (default: when stderr is a terminal and HF_HUB_DISABLE_PROGRESS_BARS is not set). */
  progress?: boolean;
  /** Cancels the download; the partial file is kept and a later call resumes it. */
  signal?: AbortSignal;
  /** hf-hub: ask the hub for the revision's commit even when the cache has it (a branch may have moved). */
  refresh?: boolean;
}

/**
 * Downloads (or finds in the cache) the weights named by `spec` and returns the local file and
 * its metadata.
 *
 * @example
 *   const src = await resolvePretrained('hf-hub:timm/resnet50.a1_in1k');
 *   src.architecture;  // 'resnet50'
 *   src.preprocess;    // { inputSize: 224, cropFraction: 0.95, … }
 */
export async function resolvePretrained(spec: string, options: ResolveOptions = {}): Promise<PretrainedSource> {
  const parsed = parseWeightsSpec(spec);
  if (options.offline ?? offlineFromEnv()) return resolvePretrainedCached(spec, { cacheDir: options.cacheDir });
  const progress = options.progress ?? (Boolean(process.stderr.isTTY) && !isTrue(process.env.HF_HUB_DISABLE_PROGRESS_BARS));
  if (parsed.kind === 'torchvision') {
    const row = torchvisionWeights(parsed.arch, parsed.weights);
    const http = createHttp(options.signal);
    try {
      return torchvisionSource(spec, row, await fetchCheckpoint(http, torchvisionUrl(row), { progress, cacheDir: options.cacheDir }));
    } finally {
      await http.close();
    }
  }
  if (parsed.kind === 'url') {
    const http = createHttp(options.signal);
    try {
      return { spec, file: await fetchCheckpoint(http, parsed.url, { progress, cacheDir: options.cacheDir }) };
    } finally {
      await http.close();
    }
  }
  const cacheDir = hubCacheDir(options.cacheDir);
  if (!options.refresh) {
    const cached = findCachedHub(cacheDir, parsed.repoId, parsed.revision, false);
    if ('weights' in cached) return hubSource(spec, cached);
  }
  const http = createHttp(options.signal);
  const ctx = { spec, repoId: parsed.repoId, revision: parsed.revision, cacheDir, endpoint: hfEndpoint(), token: hfToken(), http, progress };
  try {
    let described: Omit<PretrainedSource, 'spec' | 'file'> = {};
    const files = await fetchHub(ctx, (config) => {
      described = describeHubConfig(spec, config);
    });
    return { spec, file: files.weights, ...described };
  } catch (e) {
    // As huggingface_hub: when the hub cannot be reached, what the cache has for the revision will do.
    if (e instanceof WeightsError && (e.code === 'NETWORK' || e.code === 'HTTP')) {
      const cached = findCachedHub(cacheDir, parsed.repoId, parsed.revision, true);
      if ('weights' in cached) {
        if (progress) process.stderr.write(`${spec}: the hub did not answer (${e.message}); using the cached copy\n`);
        return hubSource(spec, cached);
      }
    }
    throw e;
  } finally {
    await http.close();
  }
}

/**
 * The same as `resolvePretrained`, synchronously, from the caches only (as offline mode;
 * `refresh` has no meaning here and is ignored). Throws a `WeightsError('NOT_CACHED')` that
 * says where it looked and what to download.
 *
 * @example
 *   const src = resolvePretrainedCached('torchvision:resnet18');   // '/…/checkpoints/resnet18-f37072fd.pth'
 */
export function resolvePretrainedCached(spec: string, options: Omit<ResolveOptions, 'offline' | 'progress' | 'signal'> = {}): PretrainedSource {
  const parsed = parseWeightsSpec(spec);
  if (parsed.kind === 'torchvision') {
    const row = torchvisionWeights(parsed.arch, parsed.weights);
    return torchvisionSource(spec, row, cachedCheckpoint(torchvisionUrl(row), spec, options.cacheDir));
  }
  if (parsed.kind === 'url') return { spec, file: cachedCheckpoint(parsed.url, spec, options.cacheDir) };
  const found = findCachedHub(hubCacheDir(options.cacheDir), parsed.repoId, parsed.revision, true);
  if (!('weights' in found)) throw notCachedHubError(spec, parsed.repoId, parsed.revision, hfEndpoint(), found.lookedAt);
  return hubSource(spec, found);
}

function torchvisionSource(spec: string, row: TorchvisionWeights, file: string): PretrainedSource {
  const src: PretrainedSource = { spec, file, architecture: row.arch, preprocess: torchvisionPreprocess(row), interpolation: row.interpolation };
  if (row.numClasses !== undefined) src.numClasses = row.numClasses;
  if (row.modelOptions) src.modelOptions = { ...row.modelOptions };
  return src;
}

function hubSource(spec: string, files: HubFiles): PretrainedSource {
  return { spec, file: files.weights, ...describeHubConfig(spec, files.config) };
}

/** What a hub config says, with the architecture mapped to finegrain's (or refused). */
function describeHubConfig(spec: string, configPath: string | undefined): Omit<PretrainedSource, 'spec' | 'file'> {
  if (!configPath) return {};
  const cfg = parseTimmConfig(readFileSync(configPath, 'utf8'), `${spec}: config.json`);
  const out: Omit<PretrainedSource, 'spec' | 'file'> = {};
  if (cfg.architecture !== undefined) {
    const model = timmToFinegrain(cfg.architecture);
    if (!model) {
      throw new WeightsError(
        'UNSUPPORTED_ARCHITECTURE',
        `${spec}: timm architecture '${cfg.architecture}' has no finegrain model with the same state-dict names. ${refusalHint(cfg.architecture)}`,
      );
    }
    out.architecture = model;
  }
  if (cfg.preprocess) out.preprocess = cfg.preprocess;
  if (cfg.interpolation) out.interpolation = cfg.interpolation;
  if (cfg.classNames) out.classNames = cfg.classNames;
  if (cfg.numClasses !== undefined) out.numClasses = cfg.numClasses;
  return out;
}
