/**
 * The library's front door: a trained checkpoint (or an ensemble) as a classifier of photos,
 * in the spirit of transformers.js's `pipeline()`. It reads the checkpoint's own
 * preprocessing, runs without autograd in bf16 autocast + channels-last where the hardware
 * is fast at it (CUDA, CPUs with AMX or AVX512-BF16; `precision: 'float32'` on request) on an
 * inference copy of the model (batch norms folded, weights stored in bf16 once), and
 * answers with the top classes, the open-world "unknown" verdict, the photo's quality, and —
 * when asked — the class activation map over the photo. `finegrain predict`/`eval` and
 * `finegrain serve` run the same preprocessing and forward code (`preprocess.ts`,
 * `forward.ts`), so the CLI, the API and the server agree on every prediction.
 *
 * @example
 *   using clf = await classifier('runs/cars/checkpoints/best.safetensors');
 *   const r = await clf.classify('car.jpg', { topK: 3, attention: true });
 *   r.predictions[0];          // { label: 'BMW M3 Coupe 2012', score: 0.91 }
 *   r.unknown.isUnknown;       // false
 *   const v = await clf.verify('listing.jpg', 'BMW M3 Coupe 2012');
 *   v.decision;                // 'match' | 'mismatch' | 'uncertain'
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { RgbImage } from '../data/image.js';
import { classActivationMaps, activationMapMethod, type ActivationMapMethod } from '../models/class-activation-map.js';
import { tensor } from '../tensor/creation.js';
import type { Device } from '../tensor/device.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { resolveChannelsLast, resolveDevice, resolvePrecision, type Precision } from '../runtime/device-choice.js';
import type { ImageDataset } from '../data/datasets/dataset.js';
import { predictDataset, type DatasetPredictions, type PredictOptions } from '../evaluation/predict-dataset.js';
import { loadEnsemble, type LoadedEnsemble } from '../infer/predict-files.js';
import type { TtaOptions } from '../evaluation/tta.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { loadCalibration, uncalibrated, type Calibration, type UnknownVerdict } from '../open-world/calibration.js';
import { DEFAULT_QUALITY_THRESHOLDS, type QualityReport, type QualityThresholds } from '../open-world/quality.js';
import { combineMembers, memberForward, withPrecision, type EnsembleMode, type MemberOutput } from '../evaluation/forward.js';
import { prepareForInference } from '../models/prepare-for-inference.js';
import { holdTensorCache } from '../runtime/tensor-cache.js';
import { heatmapDataUrl } from './heatmap.js';
import { decodeServed, rowAnswer, verificationAnswer } from './served-answers.js';
import type { ClassifierInput } from './input.js';
import { preprocessBatch, samePreprocess } from './preprocess.js';
import { checkpointToOnnx } from './checkpoint-onnx.js';
import { indexOfClass, NotAvailableError, UnknownClassError, type OnnxModelFile, type ServedModel, type ServedModelInfo } from './served-model.js';
import { DEFAULT_VERIFICATION_THRESHOLDS, type VerificationDecision, type VerificationThresholds } from './verification.js';

export interface ClassifierOptions {
  /** 'auto' (default): CUDA when available, else CPU. */
  device?: Device | 'auto';
  /** 'auto' (default): bfloat16 autocast on CUDA and on CPUs with AMX/AVX512-BF16, else float32. */
  precision?: Precision | 'auto';
  /** Channels-last layout (default: with bfloat16 or CUDA). */
  channelsLast?: boolean;
  /** Ensemble weights, one per checkpoint (default 1 each). */
  ensembleWeights?: readonly number[];
  /** How an ensemble combines its members (default 'probabilities'). */
  ensemble?: EnsembleMode;
  tta?: TtaOptions;
  /** Which parameters: 'auto' (default) the EMA average when the checkpoint has one; 'ema' requires it; 'trained' ignores it. */
  ema?: 'auto' | 'ema' | 'trained';
  /** The unknown detector (default: the checkpoint's stored calibration, else uncalibrated MSP). */
  calibration?: Calibration;
  quality?: QualityThresholds;
  verification?: Partial<VerificationThresholds>;
  /** Decompression-bomb guard: refuse images with more pixels (default 100 million). */
  maxPixels?: number;
}

export interface ClassifyOptions {
  /** Classes to return, best first (default 5). */
  topK?: number;
  /** Also render the predicted class's activation map over the photo (default false). */
  attention?: boolean;
}

export interface Prediction {
  label: string;
  score: number;
}

export interface AttentionImages {
  /** The class whose evidence the map shows. */
  label: string;
  /** 'cam' (linear head), 'grad-cam' (other heads) or 'feature-mean' (logits independent of the map). */
  method: ActivationMapMethod;
  /** The class activation map over the photo: a PNG data URL. */
  image: string;
  /** The recipe's class-agnostic attention image (channel-mean feature map) over the photo. */
  classAgnostic: string;
}

export interface Classification {
  predictions: Prediction[];
  unknown: UnknownVerdict;
  quality: QualityReport;
  attention?: AttentionImages;
}

export interface Verification {
  decision: VerificationDecision;
  reason: string;
  claimed: { label: string; score: number; rank: number };
  predictions: Prediction[];
  unknown: UnknownVerdict;
  quality: QualityReport;
  attention?: AttentionImages;
}

export { UnknownClassError };

export interface ClassifierInfo extends ServedModelInfo {
  runtime: 'libtorch';
  device: Device;
  precision: Precision;
  ensemble: EnsembleMode;
  attentionMethod: ActivationMapMethod;
}

/** A photo decoded for the model, with its quality judged on the photo itself (see input.ts). */
export interface DecodedImage extends RgbImage {
  quality: QualityReport;
}

/** One image of a batch and what to compute for it. */
export interface BatchItem {
  /** Decoded for the model; without `quality` the quality is judged on these pixels. */
  image: RgbImage | DecodedImage;
  topK?: number;
  /** Class index whose activation map to render, 'top' for the predicted class (none: no attention). */
  attentionClass?: number | 'top';
  /** Class index whose score and rank to report (verification). */
  claimedClass?: number;
}

/** What the batch step computed for one image (numbers only; rendering comes after). */
export interface BatchResult {
  predictions: Prediction[];
  unknown: UnknownVerdict;
  quality: QualityReport;
  claimed?: { label: string; score: number; rank: number };
  attentionMaps?: { map: Float32Array; classAgnostic: Float32Array; side: number; label: string; method: ActivationMapMethod };
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function readableName(path: string): string {
  const file = basename(path).replace(/\.safetensors$/, '');
  const dir = dirname(path);
  return basename(dir) === 'checkpoints' ? `${basename(dirname(dir))}/${file}` : file;
}

/**
 * A loaded checkpoint (or ensemble) ready to classify photos. Create it with `classifier()`;
 * free it with `dispose()` or `using`.
 */
export class Classifier implements ServedModel, Disposable {
  readonly classes: readonly string[];
  readonly info: ClassifierInfo;
  private readonly byName: Map<string, number>;
  private disposed = false;
  private onnxFile: Promise<OnnxModelFile> | null = null;
  // Freed activation blocks kept for the next batch while this classifier lives (tensor-cache.ts).
  private readonly releaseTensorCache = holdTensorCache();

  /** @internal Use `classifier()`. */
  constructor(
    private readonly ensemble: LoadedEnsemble,
    private readonly calibration: Calibration,
    info: ClassifierInfo,
    private readonly settings: { maxPixels?: number; tta?: TtaOptions; ema?: 'auto' | 'ema' | 'trained' } = {},
  ) {
    this.classes = ensemble.classes;
    this.info = info;
    this.byName = new Map(this.classes.map((c, i) => [c, i]));
  }

  private check(): void {
    if (this.disposed) throw new Error('classifier used after dispose()');
  }

  /**
   * The loaded members (model, checkpoint meta, path, weight, preprocessing). On the bf16 route
   * each model is the classifier's inference copy (batch norms folded, bf16 weights; see
   * prepare-for-inference.ts): run it under autocast in `info.precision`, never train or save it.
   */
  get members(): LoadedEnsemble['members'] {
    this.check();
    return this.ensemble.members;
  }

  /**
   * Every readable image of a dataset in batches through the same preprocessing and forward
   * code as `classify` (what `finegrain eval` and `predict` run).
   *
   * @example
   *   const preds = await clf.predictDataset(data.imageFolder('test/'), { batchSize: 32 });
   */
  predictDataset(ds: ImageDataset, options: Pick<PredictOptions, 'batchSize' | 'workers' | 'onProgress'> = {}): Promise<DatasetPredictions> {
    this.check();
    const { device, precision, channelsLast, ensemble } = this.info;
    return predictDataset(this.ensemble.members, ds, { ...options, device, precision, channelsLast, ensemble, tta: this.settings.tta });
  }

  /** The index of a class name, or an UnknownClassError listing the closest names. */
  classIndex(label: string): number {
    return indexOfClass(label, this.byName, this.classes);
  }

  /**
   * The checkpoint as an ONNX file (`finegrain export`'s format, with this classifier's
   * preprocessing and calibration in its metadata), exported on the first call from a fresh
   * float32 CPU copy of the weights and kept in memory. Ensembles have no single file.
   */
  onnxModel(): Promise<OnnxModelFile> {
    this.check();
    if (this.ensemble.members.length !== 1) return Promise.reject(new NotAvailableError('an ensemble has no single ONNX model; serve one checkpoint'));
    this.onnxFile ??= Promise.resolve().then(() => {
      const m = this.ensemble.members[0]!;
      return checkpointToOnnx(m.path, { ema: this.settings.ema, preprocess: this.info.preprocess, calibration: this.info.calibration });
    });
    this.onnxFile.catch(() => (this.onnxFile = null));
    return this.onnxFile;
  }

  /** Decodes an input as this model's preprocessing wants it (off the JS thread), its quality judged. */
  async decode(input: ClassifierInput, options: { label?: string } = {}): Promise<DecodedImage> {
    this.check();
    return decodeServed(input, this.info.preprocess, this.info.qualityThresholds, { maxPixels: this.settings.maxPixels, label: options.label });
  }

  /**
   * One forward pass over decoded images (the server's micro-batches come here): top classes,
   * unknown verdicts, quality, claimed ranks and activation maps as numbers.
   */
  runBatch(items: readonly BatchItem[]): BatchResult[] {
    this.check();
    if (!items.length) return [];
    const images = items.map((it) => it.image);
    const { device, precision, channelsLast } = this.info;
    const members = this.ensemble.members;
    const outputs: MemberOutput[] = [];
    const inputs: { spec: PreprocessConfig; x: Tensor }[] = [];
    const inputFor = (spec: PreprocessConfig): Tensor => {
      const hit = inputs.find((c) => samePreprocess(c.spec, spec));
      if (hit) return hit.x;
      const x = preprocessBatch(images, spec);
      inputs.push({ spec, x });
      return x;
    };
    try {
      for (const m of members) outputs.push(memberForward(m.model, inputFor(m.preprocess), { device, precision, channelsLast, tta: this.settings.tta }));
      const combined = combineMembers(
        outputs,
        members.map((m) => m.weight ?? 1),
        this.info.ensemble,
      );
      try {
        return this.readOut(items, combined, inputFor(members[0]!.preprocess));
      } finally {
        for (const t of [combined.probs, combined.logits, combined.embeddings]) t.dispose();
      }
    } finally {
      for (const o of outputs) for (const t of [o.probs, o.logits, o.embeddings]) t.dispose();
      for (const c of inputs) c.x.dispose();
    }
  }

  private readOut(items: readonly BatchItem[], out: MemberOutput, firstInput: Tensor): BatchResult[] {
    const k = this.classes.length;
    const verdicts = this.calibration.unknown(out.logits, out.embeddings);
    const probs = scope(() => {
      const p = this.calibration.temperature === 1 ? out.probs : this.calibration.probabilities(out.logits);
      return p.float().contiguous().toTypedArray() as Float32Array;
    });
    const mapClass: (number | undefined)[] = [];
    const results: BatchResult[] = items.map((it, i) => {
      const row = probs.subarray(i * k, (i + 1) * k);
      const { result, best } = rowAnswer(row, it, verdicts[i]!, this.classes, this.info.qualityThresholds);
      mapClass[i] = it.attentionClass === 'top' ? best : it.attentionClass;
      return result;
    });
    const wanted = items.flatMap((_, i) => (mapClass[i] !== undefined ? [i] : []));
    if (wanted.length) {
      // The first member's maps, on the images that asked for them, in the classifier's own
      // precision: the prepared model's weights are stored in it (float32 runs without autocast).
      const model = this.ensemble.members[0]!.model;
      const side = firstInput.size(2);
      const { device, precision } = this.info;
      const am = scope(() => {
        const x = pick(firstInput, wanted);
        const r = withPrecision(precision, device, () =>
          classActivationMaps(
            model,
            x.to({ device, memoryFormat: this.info.channelsLast ? 'channelsLast' : undefined }),
            wanted.map((i) => mapClass[i]!),
          ),
        );
        return {
          maps: r.maps.float().contiguous().toTypedArray() as Float32Array,
          agnostic: r.classAgnostic.float().contiguous().toTypedArray() as Float32Array,
          method: r.method,
        };
      });
      const area = side * side;
      wanted.forEach((i, j) => {
        results[i]!.attentionMaps = {
          map: am.maps.slice(j * area, (j + 1) * area),
          classAgnostic: am.agnostic.slice(j * area, (j + 1) * area),
          side,
          label: this.classes[mapClass[i]!]!,
          method: am.method,
        };
      });
    }
    return results;
  }

  /** Renders a batch result's maps as PNG data URLs over the image. */
  async renderAttention(image: RgbImage, r: BatchResult): Promise<AttentionImages | undefined> {
    const a = r.attentionMaps;
    if (!a) return undefined;
    const [img, agnostic] = await Promise.all([heatmapDataUrl(image, a.map, a.side), heatmapDataUrl(image, a.classAgnostic, a.side)]);
    return { label: a.label, method: a.method, image: img, classAgnostic: agnostic };
  }

  /** The verification answer from a batch result that carried a claimed class. */
  decideVerification(r: BatchResult): Pick<Verification, 'decision' | 'reason' | 'claimed'> {
    return verificationAnswer(r, this.info.verificationThresholds);
  }

  /**
   * The classes of one photo.
   *
   * @example
   *   const { predictions, unknown, quality } = await clf.classify(buffer, { topK: 3 });
   */
  async classify(input: ClassifierInput, options: ClassifyOptions = {}): Promise<Classification> {
    const image = await this.decode(input);
    const [r] = this.runBatch([{ image, topK: options.topK, attentionClass: options.attention ? 'top' : undefined }]);
    const out: Classification = { predictions: r!.predictions, unknown: r!.unknown, quality: r!.quality };
    if (options.attention) out.attention = await this.renderAttention(image, r!);
    return out;
  }

  /**
   * Checks a photo against the class it claims (see verification.ts for the rule). The
   * attention map, when asked, is the claimed class's.
   *
   * @example
   *   const v = await clf.verify('listing.jpg', 'Audi R8 Coupe 2012');
   *   if (v.decision === 'mismatch') console.log(v.reason);
   */
  async verify(input: ClassifierInput, claimed: string, options: ClassifyOptions = {}): Promise<Verification> {
    const index = this.classIndex(claimed);
    const image = await this.decode(input);
    const [r] = this.runBatch([{ image, topK: options.topK, claimedClass: index, attentionClass: options.attention ? index : undefined }]);
    const out: Verification = { ...this.decideVerification(r!), predictions: r!.predictions, unknown: r!.unknown, quality: r!.quality };
    if (options.attention) out.attention = await this.renderAttention(image, r!);
    return out;
  }

  /** Runs `rounds` forward passes on a blank batch of each size, so first requests are not slow. */
  warmUp(batchSizes: readonly number[] = [1], rounds = 1): void {
    const s = this.info.preprocess.inputSize;
    const blank: RgbImage = { data: new Uint8Array(s * s * 3).fill(128), width: s, height: s };
    for (let r = 0; r < rounds; r++) for (const b of batchSizes) this.runBatch(Array.from({ length: b }, () => ({ image: blank })));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ensemble.dispose();
    this.calibration.dispose();
    this.releaseTensorCache();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Rows `rows` of `x` (`x` itself when that is all of them). */
function pick(x: Tensor, rows: readonly number[]): Tensor {
  if (rows.length === x.size(0) && rows.every((r, i) => r === i)) return x;
  return scope(() => x.indexSelect(0, tensor([...rows], { dtype: 'int64' })));
}

/**
 * Loads a classifier from one checkpoint or several (an ensemble; they must share the class list).
 *
 * @example
 *   const clf = await classifier(['a.safetensors', 'b.safetensors'], { precision: 'float32' });
 *   try { await clf.classify('car.jpg'); } finally { clf.dispose(); }
 */
export async function classifier(checkpoints: string | readonly string[], options: ClassifierOptions = {}): Promise<Classifier> {
  const paths = typeof checkpoints === 'string' ? [checkpoints] : [...checkpoints];
  if (options.ensembleWeights && options.ensembleWeights.length !== paths.length)
    throw new RangeError(`classifier: ${options.ensembleWeights.length} ensemble weights for ${paths.length} checkpoints`);
  const device = resolveDevice(options.device ?? 'auto');
  const precision = resolvePrecision(options.precision ?? 'auto', device);
  const channelsLast = resolveChannelsLast(options.channelsLast, device, precision);
  const hashes = await Promise.all(paths.map(sha256).map((p) => p.catch(() => '')));
  const ensemble = loadEnsemble(
    paths.map((path, i) => ({ path, weight: options.ensembleWeights?.[i] })),
    { device, ema: options.ema ?? 'auto' },
  );
  try {
    // The default route's inference copy: batch norms folded, conv/linear weights in bf16 once
    // (prepare-for-inference.ts); float32 keeps the checkpoint's weights as they are.
    // Channels-last layout is applied inside, before the CPU's convolution plans are made.
    for (const m of ensemble.members) prepareForInference(m.model, { precision, inputSize: m.preprocess.inputSize, device, channelsLast });
    // A stored calibration is fitted on one checkpoint's logits and embeddings; an ensemble's
    // (concatenated embeddings) would not fit it, so ensembles use the uncalibrated default.
    const calibration = options.calibration ?? (paths.length === 1 ? loadCalibration(paths[0]!) : null) ?? uncalibrated();
    const first = ensemble.members[0]!;
    const info: ClassifierInfo = {
      runtime: 'libtorch',
      name: paths.map(readableName).join(' + '),
      architectures: ensemble.members.map((m) => m.meta.model),
      checkpoints: ensemble.members.map((m, i) => ({ path: m.path, sha256: hashes[i]!, weight: m.weight ?? 1 })),
      classes: ensemble.classes,
      inputSize: first.preprocess.inputSize,
      preprocess: first.preprocess,
      device,
      precision,
      channelsLast,
      ensemble: options.ensemble ?? 'probabilities',
      attentionMethod: activationMapMethod(first.model),
      calibration: calibration.toJSON(),
      qualityThresholds: options.quality ?? DEFAULT_QUALITY_THRESHOLDS,
      verificationThresholds: { ...DEFAULT_VERIFICATION_THRESHOLDS, ...options.verification },
    };
    return new Classifier(ensemble, calibration, info, { maxPixels: options.maxPixels, tta: options.tta, ema: options.ema });
  } catch (e) {
    ensemble.dispose();
    throw e;
  }
}
