/**
 * What a `Classifier` and `finegrain serve` need of a model, whichever runtime computes it:
 * `LibtorchModel` (libtorch-model.ts: checkpoints, ensembles, TTA, attention maps),
 * `LibtorchThreadModel` (libtorch-thread.ts: the same on a worker thread) and `OnnxModel`
 * (onnx-model.ts: one exported .onnx file on ONNX Runtime, for machines without libtorch) all
 * implement it, so the classifier, the routes, the micro-batcher and the web page do not know
 * which one answers.
 *
 * This file and everything the ONNX path imports load no native addon (libtorch); the types
 * taken from classifier.ts are erased at compile time.
 *
 * @example
 *   const model: ServedModel = runtime === 'onnx' ? await loadOnnxModel('m.onnx') : await loadLibtorchModel('best.safetensors');
 *   const image = await model.decode(bytes);
 *   const [r] = await model.runBatch([{ image, topK: 3 }]);
 */
import type { ActivationMapMethod } from '../models/class-activation-map.js';
import type { PreprocessConfig } from '../models/preprocess-config.js';
import type { QualityThresholds } from '../open-world/quality.js';
import type { RgbImage } from '../data/image.js';
import type { UnknownVerdict } from '../open-world/calibration.js';
import type { QualityReport } from '../open-world/quality.js';
import type { Prediction } from './classifier.js';
import type { ClassifierInput } from './input.js';
import { closestClasses, type VerificationDecision, type VerificationThresholds } from './verification.js';

/** Which engine computes the forward passes. */
export type ServingRuntime = 'libtorch' | 'onnx';

/** What GET /v1/model reports, and what the routes read. */
export interface ServedModelInfo {
  runtime: ServingRuntime;
  /** A readable name: the run folder and file (`cars33/best`) or the file name. */
  name: string;
  architectures: string[];
  /** The model files served (checkpoints, or the .onnx file) with their SHA-256. */
  checkpoints: { path: string; sha256: string; weight: number }[];
  classes: readonly string[];
  inputSize: number;
  preprocess: PreprocessConfig;
  device: string;
  precision: string;
  channelsLast: boolean;
  ensemble: string;
  /** How attention maps are computed; null where the runtime cannot make them (ONNX). */
  attentionMethod: ActivationMapMethod | null;
  /** The unknown detector, as JSON (method, thresholds, temperature, calibrated, notes). */
  calibration: object;
  qualityThresholds: QualityThresholds;
  verificationThresholds: VerificationThresholds;
}

/** A photo decoded for the model, with its quality judged on the photo itself (see input.ts). */
export interface DecodedImage extends RgbImage {
  quality: QualityReport;
}

/** One image of a micro-batch and what to compute for it. */
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

/** The attention maps of one answer, rendered over the photo. */
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

/** The verification rule's answer for a result that carried a claimed class (verification.ts). */
export interface VerificationAnswer {
  decision: VerificationDecision;
  reason: string;
  claimed: { label: string; score: number; rank: number };
}

/** The served model as one ONNX file (GET /v1/model.onnx), with a hash for its ETag. */
export interface OnnxModelFile {
  bytes: Uint8Array;
  sha256: string;
}

/** A claimed class the model does not have; `closest` lists the nearest names. */
export class UnknownClassError extends Error {
  override name = 'UnknownClassError';
  constructor(
    readonly claimed: string,
    readonly closest: string[],
  ) {
    super(`'${claimed}' is not one of the model's classes; closest: ${closest.map((c) => `'${c}'`).join(', ')}`);
  }
}

/** Something the served model cannot do in this set-up (an ONNX file of an ensemble, attention on ONNX). */
export class NotAvailableError extends Error {
  override name = 'NotAvailableError';
}

/** The index of `label` in `byName`, or an UnknownClassError listing the closest names. */
export function indexOfClass(label: string, byName: ReadonlyMap<string, number>, classes: readonly string[]): number {
  const i = byName.get(label);
  if (i === undefined) throw new UnknownClassError(label, closestClasses(label, classes, 5));
  return i;
}

/**
 * The model behind a `Classifier` and behind `finegrain serve`'s routes and micro-batcher:
 * decoding, one forward pass over a batch, rendering, warm-up. Implemented by `LibtorchModel`
 * (this thread), `LibtorchThreadModel` (a worker thread) and `OnnxModel` (ONNX Runtime).
 */
export interface ServedModel {
  readonly classes: readonly string[];
  readonly info: ServedModelInfo;
  /** The index of a class name, or an UnknownClassError listing the closest names. */
  classIndex(label: string): number;
  /** Decodes an input as this model's preprocessing wants it (off the JS thread), quality judged. */
  decode(input: ClassifierInput, options?: { label?: string }): Promise<DecodedImage>;
  /** One forward pass over decoded images (a micro-batch). */
  runBatch(items: readonly BatchItem[]): BatchResult[] | Promise<BatchResult[]>;
  /** The attention maps of a result as PNG data URLs (undefined when none were computed). */
  renderAttention(image: DecodedImage, r: BatchResult): Promise<AttentionImages | undefined>;
  /** The verification answer from a result that carried a claimed class. */
  decideVerification(r: BatchResult): VerificationAnswer;
  /** Forward passes on blank batches of each size, so first requests are not slow. */
  warmUp(batchSizes: readonly number[], rounds?: number): void | Promise<void>;
  /** The model as an ONNX file (exported on first call where it is not one already). */
  onnxModel(): Promise<OnnxModelFile>;
  /**
   * Calls `listener` once if the model stops working for good before dispose() (its inference
   * thread died); requests in flight have been failed by then. Runtimes that cannot fail
   * this way leave it out.
   */
  onFailure?(listener: (error: Error) => void): void;
  dispose(): void;
}
