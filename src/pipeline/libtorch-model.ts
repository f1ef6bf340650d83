/**
 * A trained checkpoint (or an ensemble) on libtorch in this thread, as a `ServedModel`: the
 * engine behind `classifier()` and `finegrain eval`/`predict`/`serve`. It reads the
 * checkpoint's own preprocessing, runs without autograd in bf16 autocast + channels-last
 * where the hardware is fast at it (CUDA, CPUs with AMX or AVX512-BF16; `precision: 'float32'`
 * on request) on an inference copy of the model (batch norms folded, weights stored in bf16
 * once), and computes top classes, the open-world "unknown" verdict, the photo's quality and
 * class activation maps for micro-batches of decoded photos. The CLI, the library and the
 * server run this same preprocessing and forward code (`preprocess.ts`,
 * `evaluation/forward.ts`), so they agree on every prediction.
 *
 * Users hold a `Classifier` (classifier.ts) instead; this is what it, the server and the CLI
 * drive.
 *
 * @example
 *   using model = await loadLibtorchModel('runs/cars/checkpoints/best.safetensors');
 *   const image = await model.decode('car.jpg');
 *   const [r] = model.runBatch([{ image, topK: 3, attentionClass: 'top' }]);
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
import { loadCalibration, uncalibrated, type Calibration } from '../open-world/calibration.js';
import { loadHierarchy, type StoredHierarchy } from '../hierarchy/sidecar.js';
import { DEFAULT_QUALITY_THRESHOLDS, type QualityThresholds } from '../open-world/quality.js';
import { combineMembers, memberForward, withPrecision, type EnsembleMode, type MemberOutput } from '../evaluation/forward.js';
import { prepareForInference } from '../models/prepare-for-inference.js';
import { holdTensorCache } from '../runtime/tensor-cache.js';
import { heatmapDataUrl } from './heatmap.js';
import { decodeServed, rowAnswer, verificationAnswer } from './served-answers.js';
import type { ClassifierInput } from './input.js';
import { preprocessBatch, samePreprocess } from './preprocess.js';
import { checkpointToOnnx } from './checkpoint-onnx.js';
import {
  indexOfClass,
  NotAvailableError,
  type AttentionImages,
  type BatchItem,
  type BatchResult,
  type DecodedImage,
  type OnnxModelFile,
  type ServedModel,
  type ServedModelInfo,
  type VerificationAnswer,
} from './served-model.js';
import { DEFAULT_VERIFICATION_THRESHOLDS, type VerificationThresholds } from './verification.js';

/** How `loadLibtorchModel` (and so `classifier()`) loads and runs a checkpoint. */
export interface LibtorchModelOptions {
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
  /** Test-time augmentation: flips and/or scales, averaged (default none). */
  tta?: TtaOptions;
  /** Which parameters: 'auto' (default) the EMA average when the checkpoint has one; 'ema' requires it; 'trained' ignores it. */
  ema?: 'auto' | 'ema' | 'trained';
  /** The unknown detector (default: the checkpoint's stored calibration, else uncalibrated MSP). */
  calibration?: Calibration;
  /** The photo-quality limits (default DEFAULT_QUALITY_THRESHOLDS). */
  quality?: QualityThresholds;
  /** The verification rule's thresholds, over its defaults. */
  verification?: Partial<VerificationThresholds>;
  /** Decompression-bomb guard: refuse images with more pixels (default 100 million). */
  maxPixels?: number;
}

/** What a libtorch model reports: the served fields, with its device, precision and ensemble rule. */
export interface LibtorchModelInfo extends ServedModelInfo {
  runtime: 'libtorch';
  device: Device;
  precision: Precision;
  ensemble: EnsembleMode;
  attentionMethod: ActivationMapMethod;
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
 * A loaded checkpoint (or ensemble) ready for micro-batches. Create it with
 * `loadLibtorchModel()`; free it with `dispose()` or `using`.
 */
export class LibtorchModel implements ServedModel, Disposable {
  readonly classes: readonly string[];
  readonly info: LibtorchModelInfo;
  private readonly byName: Map<string, number>;
  private disposed = false;
  private onnxFile: Promise<OnnxModelFile> | null = null;
  // Freed activation blocks kept for the next batch while this classifier lives (tensor-cache.ts).
  private readonly releaseTensorCache = holdTensorCache();

  /** @internal Use `loadLibtorchModel()`. */
  constructor(
    private readonly ensemble: LoadedEnsemble,
    private readonly calibration: Calibration,
    info: LibtorchModelInfo,
    private readonly settings: { maxPixels?: number; tta?: TtaOptions; ema?: 'auto' | 'ema' | 'trained' } = {},
    private readonly hierarchy: StoredHierarchy | null = null,
  ) {
    this.classes = ensemble.classes;
    this.info = info;
    this.byName = new Map(this.classes.map((c, i) => [c, i]));
  }

  private check(): void {
    if (this.disposed) throw new Error('model used after dispose()');
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
      const { result, best } = rowAnswer(row, it, verdicts[i]!, this.classes, this.info.qualityThresholds, this.hierarchy);
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
  decideVerification(r: BatchResult): VerificationAnswer {
    return verificationAnswer(r, this.info.verificationThresholds);
  }

  /** Runs `rounds` forward passes on a blank batch of each size, so first requests are not slow. */
  warmUp(batchSizes: readonly number[] = [1], rounds = 1): void {
    const s = this.info.preprocess.inputSize;
    const blank: RgbImage = { data: new Uint8Array(s * s * 3).fill(128), width: s, height: s };
    for (let r = 0; r < rounds; r++) for (const b of batchSizes) this.runBatch(Array.from({ length: b }, () => ({ image: blank })));
  }

  /** Frees the models, the calibration and the held activation blocks; idempotent. */
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
 * Loads one checkpoint or several (an ensemble; they must share the class list) for inference.
 *
 * @example
 *   const model = await loadLibtorchModel(['a.safetensors', 'b.safetensors'], { precision: 'float32' });
 *   try { model.runBatch([{ image: await model.decode('car.jpg') }]); } finally { model.dispose(); }
 */
export async function loadLibtorchModel(checkpoints: string | readonly string[], options: LibtorchModelOptions = {}): Promise<LibtorchModel> {
  const paths = typeof checkpoints === 'string' ? [checkpoints] : [...checkpoints];
  if (options.ensembleWeights && options.ensembleWeights.length !== paths.length)
    throw new RangeError(`${paths.join(', ')}: ${options.ensembleWeights.length} ensemble weights for ${paths.length} checkpoints`);
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
    // The class hierarchy's thresholds are fitted on one checkpoint's probabilities, like the calibration.
    const hierarchy = paths.length === 1 ? loadHierarchy(paths[0]!, ensemble.classes) : null;
    const first = ensemble.members[0]!;
    const info: LibtorchModelInfo = {
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
      hierarchy: hierarchy && { levels: hierarchy.hierarchy.levels, thresholds: hierarchy.info.thresholds ?? null },
    };
    return new LibtorchModel(ensemble, calibration, info, { maxPixels: options.maxPixels, tta: options.tta, ema: options.ema }, hierarchy);
  } catch (e) {
    ensemble.dispose();
    throw e;
  }
}
