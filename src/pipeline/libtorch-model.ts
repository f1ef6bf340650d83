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
import type { DatasetPredictions, PredictOptions } from '../evaluation/predict-dataset.js';
import { loadEnsemble, type LoadedEnsemble } from '../infer/predict-files.js';
import type { TtaOptions } from '../evaluation/tta.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import { FittedCalibration, loadCalibration, uncalibrated, type Calibration, type UnknownVerdict } from '../open-world/calibration.js';
import { softmax } from '../nn/functional/activation.js';
import { EnrolledClasses, type EnrolledClassInfo } from '../enrollment/enrolled-classes.js';
import { enrolledClass } from '../enrollment/enroll-class.js';
import { checkClassName, checkCorrection, checkPhotoCount, type EnrollOptions } from '../enrollment/limits.js';
import { EnrollmentError } from '../enrollment/errors.js';
import { extendCalibration } from '../enrollment/extend-calibration.js';
import { enrolledHead, type EnrolledHead } from '../enrollment/enrolled-head.js';
import { DEFAULT_SHRINKAGE, fitClosedFormReference, type ClosedFormReference } from '../open-world/closed-form-head.js';
import { loadEnrolled, saveEnrolled } from '../enrollment/sidecar.js';
import { extendHierarchy } from './enrolled-hierarchy.js';
import { findClaim, verifyClaimAtLevel } from '../hierarchy/verify.js';
import { loadHierarchy, type StoredHierarchy } from '../hierarchy/sidecar.js';
import { DEFAULT_QUALITY_THRESHOLDS, type QualityThresholds } from '../open-world/quality.js';
import { combineMembers, memberForward, withPrecision, type EnsembleMode, type MemberOutput } from '../evaluation/forward.js';
import { prepareForInference } from '../models/prepare-for-inference.js';
import { holdTensorCache } from '../runtime/tensor-cache.js';
import { decodeServed, rowAnswer, verificationAnswer } from './served-answers.js';
import type { ClassifierInput } from './input.js';
import { preprocessBatch, samePreprocess } from './preprocess.js';
import {
  indexOfClass,
  NotAvailableError,
  type AttentionImages,
  type BatchItem,
  type BatchResult,
  type DecodedImage,
  type LevelClaim,
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
  private state: ClassState;
  private disposed = false;
  private reference: ClosedFormReference | null = null;
  private onnxFile: Promise<OnnxModelFile> | null = null;
  // Freed activation blocks kept for the next batch while this classifier lives (tensor-cache.ts).
  private readonly releaseTensorCache = holdTensorCache();

  /** @internal Use `loadLibtorchModel()`. */
  constructor(
    private readonly ensemble: LoadedEnsemble,
    private readonly baseCalibration: Calibration,
    private readonly baseInfo: LibtorchModelInfo,
    private readonly settings: { maxPixels?: number; tta?: TtaOptions; ema?: 'auto' | 'ema' | 'trained' } = {},
    private readonly baseHierarchy: StoredHierarchy | null = null,
    enrolled: EnrolledClasses = new EnrolledClasses([], 0),
  ) {
    this.state = this.stateFor(enrolled);
  }

  /**
   * Everything a batch reads that enrollment changes, as one object swapped between batches:
   * a batch holds the state it started with, so its answers come from one class set.
   */
  private stateFor(enrolled: EnrolledClasses): ClassState {
    const classes = [...this.ensemble.classes, ...enrolled.names];
    // The calibration may have chosen the closed-form head for the trained classes (choose-head.ts).
    const closedForm = this.baseCalibration instanceof FittedCalibration && this.baseCalibration.info.head?.kind === 'closed-form';
    if (!enrolled.size && !closedForm)
      return {
        enrolled,
        classes,
        byName: new Map(classes.map((c, i) => [c, i])),
        calibration: this.baseCalibration,
        hierarchy: this.baseHierarchy,
        head: null,
        info: { ...this.baseInfo, classes, enrolled: [] },
      };
    // The hierarchy first: a class it cannot place is refused before any tensor is made.
    const hierarchy = enrolled.size ? extendHierarchy(this.baseHierarchy, this.ensemble.classes, enrolled) : this.baseHierarchy;
    const reference = this.enrollmentReference();
    const stats = (this.baseCalibration as FittedCalibration).stats;
    const head = enrolledHead(reference, stats.classMeans!, enrolled);
    const calibration = enrolled.size ? extendCalibration(this.baseCalibration as FittedCalibration, enrolled, head) : this.baseCalibration;
    return {
      enrolled,
      head,
      classes,
      byName: new Map(classes.map((c, i) => [c, i])),
      calibration,
      hierarchy,
      info: { ...this.baseInfo, classes, calibration: calibration.toJSON(), enrolled: enrolled.list() },
    };
  }

  /** The class names in output order: the trained classes, then the enrolled ones. */
  get classes(): readonly string[] {
    return this.state.classes;
  }

  /** What is loaded and how it runs; `classes` and `enrolled` follow enrollment. */
  get info(): LibtorchModelInfo {
    return this.state.info as LibtorchModelInfo;
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
  async predictDataset(ds: ImageDataset, options: Pick<PredictOptions, 'batchSize' | 'workers' | 'onProgress'> = {}): Promise<DatasetPredictions> {
    this.check();
    const { device, precision, channelsLast, ensemble } = this.info;
    const { head } = this.state;
    // Imported on first use, as the ONNX export and the heat maps below: a server's inference
    // thread never evaluates a dataset, and its isolate need not hold that code (bench/serve).
    const { predictDataset } = await import('../evaluation/predict-dataset.js');
    const preds = await predictDataset(this.ensemble.members, ds, { ...options, device, precision, channelsLast, ensemble, tta: this.settings.tta });
    if (!head) return preds;
    // Every class by the closed-form head, as runBatch scores them (probabilities at temperature 1, as predictDataset's).
    const logits = head.logits(preds.embeddings);
    const probs = scope(() => softmax(logits, 1));
    preds.logits.dispose();
    preds.probs.dispose();
    const { embeddings, labels } = preds;
    return {
      ...preds,
      logits,
      probs,
      dispose() {
        for (const t of [logits, probs, embeddings, labels]) t.dispose();
      },
    };
  }

  /** The index of a class name, or an UnknownClassError listing the closest names. */
  classIndex(label: string): number {
    return indexOfClass(label, this.state.byName, this.state.classes);
  }

  /**
   * The closed-form head the model answers with — when classes are enrolled, or when its
   * calibration chose it over the trained head — as the class names and its weight [K × D] and
   * bias; null when the trained head answers. For exporting what the model serves.
   */
  closedFormHead(): { classes: string[]; weight: Float32Array; bias: Float32Array } | null {
    this.check();
    const { head, classes } = this.state;
    if (!head) return null;
    return scope(() => ({
      classes: [...classes],
      weight: Float32Array.from(head.weight.float().contiguous().toTypedArray() as Float32Array),
      bias: Float32Array.from(head.bias.float().contiguous().toTypedArray() as Float32Array),
    }));
  }

  /** The class hierarchy beside the checkpoint, with enrolled classes placed in it (null: none). */
  classHierarchy(): StoredHierarchy | null {
    this.check();
    return this.state.hierarchy;
  }

  claimLevel(claim: string): string {
    this.check();
    const h = this.state.hierarchy;
    if (!h) throw new NotAvailableError(`'${claim}' is not a class, and claims at a coarser level need a class hierarchy (finegrain hierarchy)`);
    return h.hierarchy.levels[findClaim(h.hierarchy, claim).level]!;
  }

  /** The enrolled classes (names, photo counts, dates), in output order after the trained ones. */
  enrolledClasses(): EnrolledClassInfo[] {
    this.check();
    return this.state.enrolled.list();
  }

  /**
   * Adds a class from a few decoded photos (1–50) with no gradient step (docs/enrollment.md):
   * each photo and its mirror image are embedded; from the next batch on every class is scored
   * by the closed-form head (open-world/closed-form-head.ts, enrollment/enrolled-head.ts), and
   * the class joins the unknown detector and the hierarchy. Saved beside the checkpoint unless
   * `save` is false. Needs one checkpoint with a calibration (its class statistics place the
   * class).
   */
  enroll(name: string, images: readonly RgbImage[], options: EnrollOptions = {}): EnrolledClassInfo {
    this.check();
    const enrolled = this.state.enrolled;
    const label = checkClassName(name, this.ensemble.classes, enrolled.names);
    checkPhotoCount(images.length);
    checkCorrection(options.correction);
    this.enrollmentReference(); // refuses a model that cannot enroll before any photo is embedded
    const m = this.ensemble.members[0]!;
    const { device, precision, channelsLast } = this.info;
    const perPhoto = scope(() => {
      // Each photo's embedding averaged with its mirror image's: the prototype of a side view
      // should not depend on which way the car faces.
      // (flip TTA averages the embeddings of the two views).
      const out = memberForward(m.model, preprocessBatch(images, m.preprocess), { device, precision, channelsLast, tta: { flips: true } });
      out.probs.dispose();
      out.logits.dispose();
      const e = out.embeddings.float();
      if (e !== out.embeddings) out.embeddings.dispose();
      return e;
    });
    let next: EnrolledClasses;
    try {
      const c = enrolledClass(label, perPhoto, { photoSha256: options.photoSha256, parents: options.parents, correction: options.correction });
      next = enrolled.with(c);
    } finally {
      perPhoto.dispose();
    }
    this.commit(next, options.save ?? true);
    return next.list().at(-1)!;
  }

  /** Removes an enrolled class (saved unless `save` is false); a trained class cannot be removed. */
  removeClass(name: string, options: { save?: boolean } = {}): void {
    this.check();
    if (this.ensemble.classes.includes(name)) throw new EnrollmentError(`'${name}' is a trained class; only enrolled classes can be removed`, 'trained');
    this.commit(this.state.enrolled.without(name), options.save ?? true);
  }

  /** Saves `next` (when asked) and only then swaps it in, so a failed write changes nothing. */
  private commit(next: EnrolledClasses, save: boolean): void {
    // The state first: a class the hierarchy cannot place is refused before anything is written.
    const state = this.stateFor(next);
    try {
      if (save) saveEnrolled(this.ensemble.members[0]!.path, next, this.baseInfo.checkpoints[0]!.sha256 || undefined);
    } catch (e) {
      disposeState(state, this.baseCalibration);
      throw e;
    }
    const old = this.state;
    this.state = state;
    this.onnxFile = null; // exported for the old class set
    // Nothing else holds the old snapshot: batches run on this thread, one at a time.
    disposeState(old, this.baseCalibration);
  }

  private enrollmentReference(): ClosedFormReference {
    if (this.reference) return this.reference;
    if (this.ensemble.members.length !== 1) throw new EnrollmentError('an ensemble cannot enroll classes: serve one checkpoint', 'unsupported');
    const cal = this.baseCalibration;
    const s = cal instanceof FittedCalibration ? cal.stats : null;
    if (!s?.classMeans || !s.precision || !s.headWeight || !s.headBias)
      throw new EnrollmentError(
        `enrollment places a new class among the trained ones with their class statistics, which this checkpoint has none of: run finegrain calibrate --checkpoint ${this.ensemble.members[0]!.path} first`,
        'unsupported',
      );
    // The shrinkage and mean scale the calibration chose for its closed-form head, if it chose one.
    const head = (cal as FittedCalibration).info.head;
    this.reference = fitClosedFormReference(
      { classMeans: s.classMeans, precision: s.precision, headWeight: s.headWeight, headBias: s.headBias },
      { shrinkage: head?.shrinkage ?? DEFAULT_SHRINKAGE, meanScale: head?.meanScale ?? 1 },
    );
    return this.reference;
  }

  /**
   * The checkpoint as an ONNX file (`finegrain export`'s format, with this classifier's
   * preprocessing and calibration in its metadata), exported on the first call from a fresh
   * float32 CPU copy of the weights and kept in memory. Ensembles have no single file.
   */
  onnxModel(): Promise<OnnxModelFile> {
    this.check();
    if (this.ensemble.members.length !== 1) return Promise.reject(new NotAvailableError('an ensemble has no single ONNX model; serve one checkpoint'));
    // The class set as it is now (enrollment can change it before the export runs).
    const exported = this.closedFormHead();
    this.onnxFile ??= import('./checkpoint-onnx.js').then(({ checkpointToOnnx }) => {
      const m = this.ensemble.members[0]!;
      return checkpointToOnnx(m.path, {
        ema: this.settings.ema,
        preprocess: this.info.preprocess,
        calibration: this.baseInfo.calibration,
        head: exported ?? undefined,
      });
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
    return this.forward(
      items.map((it) => it.image),
      (out, firstInput) => this.readOut(items, out, firstInput),
    );
  }

  /**
   * The calibrated probabilities [N × K] (the head the model answers with, at the calibration's
   * temperature: exactly what `runBatch` ranks classes by) and the embeddings [N × D] of decoded
   * images, row-major, for work on the embedding space (`finegrain suggest`).
   *
   * @example
   *   const { probabilities, embeddings, embeddingSize } = model.embedBatch([await model.decode('a.jpg')]);
   */
  embedBatch(images: readonly RgbImage[]): { probabilities: Float32Array; embeddings: Float32Array; embeddingSize: number } {
    this.check();
    if (!images.length) return { probabilities: new Float32Array(0), embeddings: new Float32Array(0), embeddingSize: 0 };
    return this.forward(images, (out) => {
      const { probs } = this.answer(out, false);
      const embeddings = scope(() => out.embeddings.float().contiguous().toTypedArray() as Float32Array);
      return { probabilities: probs, embeddings, embeddingSize: out.embeddings.size(1) };
    });
  }

  /** Every member's forward pass over `images`, combined; `read` sees the outputs before they are freed. */
  private forward<T>(images: readonly RgbImage[], read: (out: MemberOutput, firstInput: Tensor) => T): T {
    const { device, precision, channelsLast } = this.info;
    const members = this.ensemble.members;
    const outputs: MemberOutput[] = [];
    const inputs: { spec: PreprocessConfig; x: Tensor }[] = [];
    const inputFor = (spec: PreprocessConfig): Tensor => {
      const hit = inputs.find((c) => samePreprocess(c.spec, spec));
      if (hit) return hit.x;
      // Made in the layout the members take (memberForward's own conversion is then a no-op on
      // the CPU), so one float32 copy of the batch is live while the forward runs, not two.
      const x = scope(() => preprocessBatch(images, spec).to({ memoryFormat: channelsLast ? 'channelsLast' : undefined }));
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
        return read(combined, inputFor(members[0]!.preprocess));
      } finally {
        for (const t of [combined.probs, combined.logits, combined.embeddings]) t.dispose();
      }
    } finally {
      for (const o of outputs) for (const t of [o.probs, o.logits, o.embeddings]) t.dispose();
      for (const c of inputs) c.x.dispose();
    }
  }

  /**
   * The answering head's logits (the closed-form head when classes are enrolled or the
   * calibration chose it) as probabilities at the calibration's temperature, row-major, and
   * the unknown verdicts when asked: one place, so every caller ranks classes alike.
   */
  private answer(out: MemberOutput, withVerdicts: boolean): { probs: Float32Array; verdicts: UnknownVerdict[] } {
    const { calibration, head } = this.state;
    const logits = head ? head.logits(out.embeddings) : out.logits;
    try {
      const verdicts = withVerdicts ? calibration.unknown(logits, out.embeddings) : [];
      const probs = scope(() => {
        const p =
          logits !== out.logits
            ? softmax(logits.float().div(calibration.temperature), 1)
            : calibration.temperature === 1
              ? out.probs
              : calibration.probabilities(logits);
        return p.float().contiguous().toTypedArray() as Float32Array;
      });
      return { probs, verdicts };
    } finally {
      if (logits !== out.logits) logits.dispose();
    }
  }

  private readOut(items: readonly BatchItem[], out: MemberOutput, firstInput: Tensor): BatchResult[] {
    const { classes, head, hierarchy, byName } = this.state;
    const k = classes.length;
    const { probs, verdicts } = this.answer(out, true);
    const mapClass: (number | undefined)[] = [];
    const results: BatchResult[] = items.map((it, i) => {
      const row = probs.subarray(i * k, (i + 1) * k);
      // A claim by name is resolved against this batch's class set (an enrolled class can have
      // been removed, and later ones moved, since the request looked it up).
      const claimed = it.claimedLabel !== undefined ? byName.get(it.claimedLabel) : it.claimedClass;
      const { result, best } = rowAnswer(row, { ...it, claimedClass: claimed }, verdicts[i]!, classes, this.info.qualityThresholds, hierarchy);
      if (it.claimedLabel !== undefined && claimed === undefined) {
        if (it.claimAtLevel && hierarchy) result.claimedLevel = levelClaim(hierarchy, row, it.claimedLabel);
        // A class removed in between cannot match: no score, ranked after every class.
        else result.claimed = { label: it.claimedLabel, score: 0, rank: k + 1 };
      }
      if (it.claimedLabel !== undefined && it.attentionClass === it.claimedClass) {
        mapClass[i] = claimed;
        return result;
      }
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
            head ? { weight: head.weight } : {},
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
          label: classes[mapClass[i]!]!,
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
    const { heatmapDataUrl } = await import('./heatmap.js');
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
    disposeState(this.state, this.baseCalibration);
    this.baseCalibration.dispose();
    this.reference?.dispose();
    this.releaseTensorCache();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** A claim at its hierarchy level; a claim that names no node (any more) is uncertain, never a failed batch. */
function levelClaim(h: StoredHierarchy, row: ArrayLike<number>, claim: string): LevelClaim {
  const thresholds = h.thresholds ?? h.hierarchy.levels.map(() => Infinity);
  try {
    const v = verifyClaimAtLevel(h.hierarchy, row, claim, thresholds);
    return { decision: v.decision, reason: v.reason, node: v.claimed, level: v.level, score: v.score, rank: v.rank };
  } catch (e) {
    return { decision: 'uncertain', reason: (e as Error).message, node: claim, level: '', score: 0, rank: 0 };
  }
}

/** What enrollment changes, swapped as one (LibtorchModel.stateFor). */
interface ClassState {
  enrolled: EnrolledClasses;
  /** The closed-form head over every class, when classes are enrolled (null: the trained head). */
  head: EnrolledHead | null;
  classes: string[];
  byName: Map<string, number>;
  calibration: Calibration;
  hierarchy: StoredHierarchy | null;
  info: ServedModelInfo;
}

/** Frees what a state made for itself (not the base calibration). */
function disposeState(state: ClassState, base: Calibration): void {
  if (state.calibration !== base) state.calibration.dispose();
  state.head?.dispose();
}

/** The embedding size of an ensemble's first member (its head's input). */
function embeddingSizeOf(ensemble: LoadedEnsemble): number {
  const m = ensemble.members[0]!.model;
  const head = m.getSubmodule(m.classifierPath) as unknown as { weight?: Tensor };
  return head.weight?.shape[1] ?? 0;
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
    // Classes enrolled beside the checkpoint (enrollment/sidecar.ts); one checkpoint only.
    const enrolled =
      paths.length === 1 ? loadEnrolled(paths[0]!, ensemble.classes, embeddingSizeOf(ensemble), hashes[0] || undefined) : new EnrolledClasses([], 0);
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
    return new LibtorchModel(ensemble, calibration, info, { maxPixels: options.maxPixels, tta: options.tta, ema: options.ema }, hierarchy, enrolled);
  } catch (e) {
    ensemble.dispose();
    throw e;
  }
}
