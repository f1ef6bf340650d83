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
import { closestClasses } from '../evaluation/closest-classes.js';
import type { VerificationDecision, VerificationThresholds } from './verification.js';
import type { HierarchicalAnswer } from '../hierarchy/scores.js';
import type { EnrolledClassInfo } from '../enrollment/enrolled-classes.js';
import type { EnrollOptions } from '../enrollment/limits.js';

/** Which engine computes the forward passes. */
export type ServingRuntime = 'libtorch' | 'onnx';

/** What GET /v1/model reports, and what the routes read. */
export interface ServedModelInfo {
  /** Which engine computes the forward passes. */
  runtime: ServingRuntime;
  /** A readable name: the run folder and file (`cars33/best`) or the file name. */
  name: string;
  /** The zoo architecture of each model file (`mobilenet_v2`, …). */
  architectures: string[];
  /** The model files served (checkpoints, or the .onnx file) with their SHA-256. */
  checkpoints: {
    /** The file as given. */
    path: string;
    /** Its SHA-256, hex (empty when the file could not be hashed). */
    sha256: string;
    /** Its weight in the ensemble (1 alone). */
    weight: number;
  }[];
  /** The class names, in the model's output order. */
  classes: readonly string[];
  /** The side of the square input the model sees, pixels. */
  inputSize: number;
  /** How a photo becomes the model's input (resize, crop fraction, mean, std). */
  preprocess: PreprocessConfig;
  /** Where the forward passes run: `cpu`, `cuda:0`, … */
  device: string;
  /** The forward passes' precision: `float32`, `bfloat16`, `float16`, or the ONNX file's (`int8`). */
  precision: string;
  /** Whether activations run channels-last (NHWC). */
  channelsLast: boolean;
  /** How an ensemble combines its members (`probabilities`, `embeddings`; `none` for one ONNX file). */
  ensemble: string;
  /** How attention maps are computed; null where the runtime cannot make them (ONNX). */
  attentionMethod: ActivationMapMethod | null;
  /** The unknown detector, as JSON (method, thresholds, temperature, calibrated, notes). */
  calibration: object;
  /** The limits below which a photo is flagged (dark, blurry, …). */
  qualityThresholds: QualityThresholds;
  /** The scores and ranks that make a claim a match or a mismatch. */
  verificationThresholds: VerificationThresholds;
  /** The class hierarchy's levels and fitted thresholds (null: none beside the model file; docs/hierarchy.md). */
  hierarchy: {
    /** The level names, top-down ('make', 'model', 'series'). */
    levels: readonly string[];
    /** Each level's threshold (null: never confident); null when none were fitted. */
    thresholds: (number | null)[] | null;
  } | null;
  /** The classes enrolled from a few photos (docs/enrollment.md), after the trained ones in `classes`; absent where the runtime cannot enroll. */
  enrolled?: EnrolledClassInfo[];
}

/** A photo decoded for the model, with its quality judged on the photo itself (see input.ts). */
export interface DecodedImage extends RgbImage {
  /** The photo's quality, judged on the photo itself. */
  quality: QualityReport;
}

/** One image of a micro-batch and what to compute for it. */
export interface BatchItem {
  /** Decoded for the model; without `quality` the quality is judged on these pixels. */
  image: RgbImage | DecodedImage;
  /** Classes to return, best first (default 5). */
  topK?: number;
  /** Class index whose activation map to render, 'top' for the predicted class (none: no attention). */
  attentionClass?: number | 'top';
  /** Class index whose score and rank to report (verification). */
  claimedClass?: number;
  /** The claimed class by name, resolved against the class set the batch runs with (wins over `claimedClass`; enrolled classes can move). */
  claimedLabel?: string;
  /** `claimedLabel` names a node of the class hierarchy (a make, a model), decided at its level. */
  claimAtLevel?: boolean;
}

/** What the batch step computed for one image (numbers only; rendering comes after). */
export interface BatchResult {
  /** The top classes, best first. */
  predictions: Prediction[];
  /** The open-world verdict: does the photo look like none of the classes? */
  unknown: UnknownVerdict;
  /** The photo's quality. */
  quality: QualityReport;
  /** The claimed class's probability and rank (1 = top), when the item carried one. */
  claimed?: ClaimedClass;
  /** The activation maps as numbers (rendered by `renderAttention`), when the item asked. */
  attentionMaps?: AttentionMaps;
  /** With a class hierarchy: the path with a score per level and the deepest confident level. */
  hierarchy?: HierarchicalAnswer;
  /** A claim at a level of the hierarchy (`claimAtLevel`): the decision there, before quality and the unknown verdict. */
  claimedLevel?: LevelClaim;
}

/** A claim decided at its level of the class hierarchy (hierarchy/verify.ts's rule). */
export interface LevelClaim {
  /** match, mismatch or uncertain at that level. */
  decision: VerificationDecision;
  /** Why, in a sentence. */
  reason: string;
  /** The node claimed, as the hierarchy spells it. */
  node: string;
  /** Its level ('make', 'model'). */
  level: string;
  /** Its score: the summed probability of its classes. */
  score: number;
  /** Its rank among the nodes of its level. */
  rank: number;
}

/** A claimed class's standing in one answer. */
export interface ClaimedClass {
  /** The class name. */
  label: string;
  /** Its probability. */
  score: number;
  /** Its rank among the classes, 1 = top. */
  rank: number;
}

/** Activation maps as numbers, before rendering. */
export interface AttentionMaps {
  /** The class activation map, `side` × `side`, in [0, 1]. */
  map: Float32Array;
  /** The class-agnostic map (channel mean of the feature map), `side` × `side`, in [0, 1]. */
  classAgnostic: Float32Array;
  /** The maps' side, pixels of the model input. */
  side: number;
  /** The class whose evidence `map` shows. */
  label: string;
  /** How `map` was computed. */
  method: ActivationMapMethod;
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
  /** match, mismatch or uncertain. */
  decision: VerificationDecision;
  /** Why, in a sentence. */
  reason: string;
  /** The claimed class's probability and rank. */
  claimed: ClaimedClass;
  /** The hierarchy level the claim was decided at, when it named a group of classes ('make', 'model'). */
  level?: string;
}

/** The served model as one ONNX file (GET /v1/model.onnx), with a hash for its ETag. */
export interface OnnxModelFile {
  /** The .onnx file's bytes. */
  bytes: Uint8Array;
  /** Their SHA-256, hex. */
  sha256: string;
}

/** A claimed class the model does not have; `closest` lists the nearest names. */
export class UnknownClassError extends Error {
  /** Always 'UnknownClassError'. */
  override name = 'UnknownClassError';
  /** @internal */
  constructor(
    /** The name given. */
    readonly claimed: string,
    /** The model's class names nearest to it, closest first. */
    readonly closest: string[],
  ) {
    super(`'${claimed}' is not one of the model's classes; closest: ${closest.map((c) => `'${c}'`).join(', ')}`);
  }
}

/** Something the served model cannot do in this set-up (an ONNX file of an ensemble, attention on ONNX). */
export class NotAvailableError extends Error {
  /** Always 'NotAvailableError'. */
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
  /** The class names, in the model's output order. */
  readonly classes: readonly string[];
  /** What is loaded and how it runs. */
  readonly info: ServedModelInfo;
  /** The index of a class name, or an UnknownClassError listing the closest names. */
  classIndex(label: string): number;
  /**
   * The level of the hierarchy node a claim names ('make', 'model'), for claims that are not a
   * class; throws an UnknownClaimError (closest names) when it names nothing, and a
   * NotAvailableError when the model has no hierarchy. Runtimes without hierarchies leave it out.
   */
  claimLevel?(claim: string): string | Promise<string>;
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
  /**
   * Adds a class from a few decoded photos, no gradient step (docs/enrollment.md); it answers
   * from the next batch on. Runtimes that cannot enroll leave it out.
   */
  enroll?(name: string, images: DecodedImage[], options?: EnrollOptions): EnrolledClassInfo | Promise<EnrolledClassInfo>;
  /** Removes an enrolled class. */
  removeClass?(name: string): void | Promise<void>;
  /** The enrolled classes, in output order after the trained ones. */
  enrolledClasses?(): EnrolledClassInfo[];
  /** The model as an ONNX file (exported on first call where it is not one already). */
  onnxModel(): Promise<OnnxModelFile>;
  /**
   * Calls `listener` once if the model stops working for good before dispose() (its inference
   * thread died); requests in flight have been failed by then. Runtimes that cannot fail
   * this way leave it out.
   */
  onFailure?(listener: (error: Error) => void): void;
  /** Frees the model (native memory, threads, sessions); idempotent. */
  dispose(): void;
}
