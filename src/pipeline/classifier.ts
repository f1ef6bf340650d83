/**
 * The library's front door: a trained model as a classifier of photos, in the spirit of
 * transformers.js's `pipeline()`. Give it a checkpoint (or several: an ensemble) or a
 * `finegrain export`ed .onnx file; ask it for the classes of a photo, whether the photo shows
 * the class a listing claims, and where the evidence lies. Every answer carries the
 * open-world "unknown" verdict and the photo's quality.
 *
 * The `Classifier` holds a `ServedModel` (served-model.ts) that does the work — libtorch in
 * this thread, libtorch on a worker thread, or ONNX Runtime — the same models `finegrain
 * serve` runs, so the library and the server agree on every answer. A `Classifier` can be
 * handed to `createServer` (`finegrain/serve`) as it is.
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
import { readFile } from 'node:fs/promises';
import type { HierarchicalAnswer } from '../hierarchy/scores.js';
import type { EnrolledClassInfo } from '../enrollment/enrolled-classes.js';
import { checkPhotoCount, type EnrollOptions } from '../enrollment/limits.js';
import { EnrollmentError } from '../enrollment/errors.js';
import type { UnknownVerdict } from '../open-world/calibration.js';
import type { QualityReport } from '../open-world/quality.js';
import type { ClassifierInput } from './input.js';
import type { LibtorchModelOptions } from './libtorch-model.js';
import { NotAvailableError, UnknownClassError, type AttentionImages, type ClaimedClass, type ServedModel, type ServedModelInfo } from './served-model.js';
import type { VerificationDecision } from './verification.js';

/**
 * How `classifier()` loads a model. The libtorch options (device, precision, ensembles, TTA,
 * EMA, calibration) apply to checkpoints; an .onnx file brings its own preprocessing and
 * calibration and takes `quality`, `verification`, `maxPixels` and `threads`.
 */
export interface ClassifierOptions extends LibtorchModelOptions {
  /**
   * Run the forward passes on a worker thread (default false), so a program that serves
   * requests keeps its event loop free while a photo is classified. Checkpoints only: ONNX
   * Runtime already runs off the JavaScript thread.
   */
  worker?: boolean;
  /** Threads inside one forward pass: the worker's libtorch threads, or ONNX Runtime's (default: the runtime's choice). */
  threads?: number;
}

/** What `classify` and `verify` compute for one photo. */
export interface ClassifyOptions {
  /** Classes to return, best first (default 5). */
  topK?: number;
  /** Also render the class activation map over the photo (default false; not on ONNX). */
  attention?: boolean;
}

/** One class and its probability (after the classifier's calibration temperature). */
export interface Prediction {
  /** The class name. */
  label: string;
  /** Its probability, in [0, 1]. */
  score: number;
}

/** The answer for one photo: top classes, the unknown verdict, quality, and the map when asked. */
export interface Classification {
  /** The top classes, best first (`topK` of them). */
  predictions: Prediction[];
  /** The open-world verdict: does the photo look like none of the classes? */
  unknown: UnknownVerdict;
  /** The photo's quality: usable, or dark, blurry, … */
  quality: QualityReport;
  /** The predicted class's activation map over the photo, when asked. */
  attention?: AttentionImages;
  /** With a class hierarchy beside the model: the path (make → model → series) with a score per level and the deepest level the answer is sure of. */
  hierarchy?: HierarchicalAnswer;
}

/** The answer to "does this photo show `claimed`?", with the evidence (see verification.ts for the rule). */
export interface Verification {
  /** match, mismatch or uncertain. */
  decision: VerificationDecision;
  /** Why, in a sentence. */
  reason: string;
  /** The claimed class's probability and rank (1 = top). */
  claimed: ClaimedClass;
  /** The top classes, best first. */
  predictions: Prediction[];
  /** The open-world verdict: does the photo look like none of the classes? */
  unknown: UnknownVerdict;
  /** The photo's quality (a poor photo makes the answer uncertain). */
  quality: QualityReport;
  /** The claimed class's activation map, when asked (the top class's for a claim at a coarser level). */
  attention?: AttentionImages;
  /** The hierarchy level the claim was decided at, when it named a group of classes ('make', 'model'). */
  level?: string;
}

export { UnknownClassError, NotAvailableError, EnrollmentError };

/**
 * A claim as a class index, or — when it is no class and the model has a hierarchy that names
 * it (a make, a model) — a claim decided at its level. Otherwise the UnknownClassError (closest
 * classes) or, with a hierarchy, the UnknownClaimError (closest class and group names).
 */
export async function resolveClaim(model: ServedModel, claimed: string): Promise<{ index?: number; atLevel: boolean }> {
  try {
    return { index: model.classIndex(claimed.trim()), atLevel: false };
  } catch (e) {
    if (!(e instanceof UnknownClassError) || !model.claimLevel || !model.info.hierarchy) throw e;
    await model.claimLevel(claimed);
    return { atLevel: true };
  }
}

/** SHA-256 of a photo's bytes (a path's file, or the bytes given); '' for decoded pixels. */
async function photoHash(p: ClassifierInput): Promise<string> {
  if (typeof p === 'string')
    return createHash('sha256')
      .update(await readFile(p))
      .digest('hex');
  if (p instanceof Uint8Array) return createHash('sha256').update(p).digest('hex');
  return '';
}

// The model behind each live classifier, for createServer; not a property, so the public type
// shows the user's methods only. dispose() removes the entry: no entry means disposed.
const models = new WeakMap<Classifier, ServedModel>();

/**
 * A loaded model ready to classify photos. Create it with `classifier()`; free it with
 * `dispose()` or `using`.
 */
export class Classifier implements Disposable {
  /** @internal Use `classifier()`. */
  constructor(model: ServedModel) {
    models.set(this, model);
  }

  /** The class names, in the model's output order: the trained classes, then the enrolled ones. */
  get classes(): readonly string[] {
    return this.#model().classes;
  }

  /** What is loaded and how it runs: runtime, files and hashes, preprocessing, device, precision, calibration, thresholds, enrolled classes. */
  get info(): ServedModelInfo {
    return this.#model().info;
  }

  #model(): ServedModel {
    return servedModelOf(this);
  }

  /**
   * The classes of one photo (a path, bytes, or decoded RGB pixels).
   *
   * @example
   *   const { predictions, unknown, quality } = await clf.classify(buffer, { topK: 3 });
   */
  async classify(input: ClassifierInput, options: ClassifyOptions = {}): Promise<Classification> {
    const model = this.#model();
    const image = await model.decode(input);
    const [r] = await model.runBatch([{ image, topK: options.topK, attentionClass: options.attention ? 'top' : undefined }]);
    const out: Classification = { predictions: r!.predictions, unknown: r!.unknown, quality: r!.quality };
    if (r!.hierarchy) out.hierarchy = r!.hierarchy;
    if (options.attention) out.attention = await model.renderAttention(image, r!);
    return out;
  }

  /**
   * Checks a photo against the class it claims. A name that is not a class is an
   * `UnknownClassError` listing the closest names. The attention map, when asked, is the
   * claimed class's.
   *
   * @example
   *   const v = await clf.verify('listing.jpg', 'Audi R8 Coupe 2012');
   *   if (v.decision === 'mismatch') console.log(v.reason);
   */
  async verify(input: ClassifierInput, claimed: string, options: ClassifyOptions = {}): Promise<Verification> {
    const model = this.#model();
    const { index, atLevel } = await resolveClaim(model, claimed);
    const image = await model.decode(input);
    const attentionClass = options.attention ? (atLevel ? 'top' : index) : undefined;
    const [r] = await model.runBatch([{ image, topK: options.topK, claimedClass: index, claimedLabel: claimed.trim(), claimAtLevel: atLevel, attentionClass }]);
    const out: Verification = { ...model.decideVerification(r!), predictions: r!.predictions, unknown: r!.unknown, quality: r!.quality };
    if (options.attention) out.attention = await model.renderAttention(image, r!);
    return out;
  }

  /**
   * Adds a class from a few photos (1–50; paths, bytes or pixels) with no gradient step: from
   * the next answer on it competes with the trained classes in one softmax, the unknown
   * detector knows it, and (unless `save: false`) it is stored beside the checkpoint for
   * `serve`, `eval` and `predict`. Needs one calibrated checkpoint (`finegrain calibrate`);
   * refused with an `EnrollmentError` (nothing changed) for a name that is a class already, no
   * photos, too many, or an unreadable photo. See docs/enrollment.md.
   *
   * @example
   *   await clf.enroll('Audi Q7 SUV 2012', ['q7-1.jpg', 'q7-2.jpg', 'q7-3.jpg']);
   *   (await clf.classify('q7-4.jpg')).predictions[0].label; // 'Audi Q7 SUV 2012'
   */
  async enroll(name: string, photos: readonly ClassifierInput[], options: EnrollOptions = {}): Promise<EnrolledClassInfo> {
    const model = this.#model();
    if (!model.enroll) throw new EnrollmentError(`the ${model.info.runtime} runtime cannot enroll classes; load the checkpoint`, 'unsupported');
    checkPhotoCount(photos.length);
    const images = await Promise.all(photos.map((p, i) => model.decode(p, { label: `photo ${i + 1}` })));
    const photoSha256 = options.photoSha256 ?? (await Promise.all(photos.map(photoHash)));
    return model.enroll(name, images, { ...options, photoSha256 });
  }

  /** Removes an enrolled class (and from the sidecar unless the class was enrolled with `save: false`). */
  async removeClass(name: string): Promise<void> {
    const model = this.#model();
    if (!model.removeClass) throw new EnrollmentError(`the ${model.info.runtime} runtime cannot enroll classes`, 'unsupported');
    await model.removeClass(name);
  }

  /** The enrolled classes (name, photos, date), in output order after the trained ones. */
  enrolledClasses(): EnrolledClassInfo[] {
    return this.#model().enrolledClasses?.() ?? [];
  }

  /** Frees the model (native memory, threads, sessions); idempotent. */
  dispose(): void {
    const m = models.get(this);
    if (!m) return;
    models.delete(this);
    m.dispose();
  }

  /** `dispose()`, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * The model a classifier drives (for `createServer`, which batches requests itself); a
 * `ServedModel` passes through.
 */
export function servedModelOf(x: Classifier | ServedModel): ServedModel {
  if (!(x instanceof Classifier)) return x;
  const m = models.get(x);
  if (!m) throw new Error('classifier used after dispose()');
  return m;
}

function isOnnxFile(paths: readonly string[]): boolean {
  return paths.length === 1 && /\.onnx$/i.test(paths[0]!);
}

/**
 * Loads a classifier from a checkpoint, several checkpoints (an ensemble; they must share the
 * class list), or one exported .onnx file (run on ONNX Runtime: no libtorch needed, no
 * attention maps).
 *
 * @example
 *   const clf = await classifier(['a.safetensors', 'b.safetensors'], { precision: 'float32' });
 *   try { await clf.classify('car.jpg'); } finally { clf.dispose(); }
 *
 *   using onnx = await classifier('cars.onnx', { threads: 2 });
 */
export async function classifier(model: string | readonly string[], options: ClassifierOptions = {}): Promise<Classifier> {
  const paths = typeof model === 'string' ? [model] : [...model];
  if (!paths.length) throw new RangeError('classifier: no model file given');
  const { worker, threads, ...libtorch } = options;
  if (isOnnxFile(paths)) {
    // Imported here so that an ONNX classifier never loads libtorch (and the reverse).
    const { loadOnnxModel } = await import('./onnx-model.js');
    const { quality, verification, maxPixels } = options;
    return new Classifier(await loadOnnxModel(paths[0]!, { intraOpThreads: threads, quality, verification, maxPixels }));
  }
  if (paths.some((p) => /\.onnx$/i.test(p))) throw new RangeError('classifier: an .onnx file is served alone; ensembles take checkpoints');
  if (worker) {
    if (libtorch.calibration)
      throw new RangeError('classifier: a calibration object cannot cross to the worker thread; store it in the checkpoint (finegrain calibrate)');
    const { loadLibtorchThread } = await import('./libtorch-thread.js');
    return new Classifier(await loadLibtorchThread(paths, libtorch, { threads }));
  }
  if (threads !== undefined) throw new RangeError('classifier: `threads` applies with `worker: true` or an .onnx file; in this thread use setNumThreads()');
  const { loadLibtorchModel } = await import('./libtorch-model.js');
  return new Classifier(await loadLibtorchModel(paths, libtorch));
}
