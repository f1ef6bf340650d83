/**
 * finegrain: fine-grained visual recognition in TypeScript on libtorch. One import gives the
 * whole stack, from the front door down:
 *
 * - `classifier()`: a trained checkpoint as a classifier (top classes, open-set "unknown",
 *   photo quality, attention maps) and `train()` with the FGVC recipe;
 * - the model zoo (`createModel`, torchvision and timm names, attention modules) and
 *   pretrained weights (`fromPretrained`), weights files (safetensors, PyTorch `.pth`, ONNX);
 * - `exportOnnx()`: a model as an ONNX graph, for ONNX Runtime and the other ONNX runtimes;
 * - a small PyTorch: tensors with every ATen operator, autograd, `nn` modules, `F` (the
 *   functional layer), optimizers, data loading (`data`) and data parallelism (`distributed`).
 *
 * The HTTP server is a subpath of its own: `finegrain/serve`.
 *
 * @example
 *   import { classifier } from 'finegrain';
 *   using clf = await classifier('runs/birds/checkpoints/best.safetensors');
 *   const r = await clf.classify('photo.jpg', { topK: 3 });
 *   for (const p of r.predictions) console.log(p.label, p.score);
 *
 * @example
 *   import { randn, scope, noGrad } from 'finegrain';
 *   const w = randn([10, 64], { requiresGrad: true });
 *   const loss = scope(() => randn([32, 64]).matmul(w.t()).pow(2).mean().item());
 *
 * @module finegrain
 */
export * from './tensor/index.js';
export * from './autograd/index.js';
export * from './runtime/index.js';
export * as F from './nn/functional/index.js';
export * from './nn/functional/index.js';
export * from './io/index.js';
export * from './optim/index.js';
export * from './io/onnx/index.js';
export * from './models/pretrained/index.js';
export {
  fromPretrained,
  pretrainedOptions,
  resolvePretrained,
  resolvePretrainedCached,
  listPretrainedNames,
  isWeightsSpec,
  WeightsError,
  type PretrainedSource,
  type FromPretrainedOptions,
  type PretrainedModel,
  type ResolveOptions,
  type WeightsErrorCode,
} from './hub/index.js';
export * from './nn/index.js';
export * from './models/index.js';
export * as data from './data/index.js';
export * as distributed from './distributed/index.js';
export { train, type TrainResult, type TrainOptions } from './train/trainer.js';
export { parseTrainConfig, readConfigFile, type TrainConfig, type TrainConfigInput } from './train/config.js';
export { cosineWithWarmup, type CosineScheduleOptions } from './train/schedule.js';
export { ModelEma } from './train/ema.js';
export { attentionRegionCrop, scdaCrop, type AttentionMap, type AttentionCropOptions } from './train/crop-boxes.js';
export { selectPseudoLabels, type PseudoLabels } from './train/pseudo-labels.js';
export { predictDataset, type DatasetPredictions, type EnsembleMember, type PredictOptions } from './evaluation/predict-dataset.js';
export { ttaForward, type TtaOptions } from './evaluation/tta.js';
export { classificationReport, formatReport, headTailAccuracy, type ClassificationReport, type ConfusedPair } from './evaluation/metrics.js';
export type { EnsembleMode } from './evaluation/forward.js';
export { UsageError, isUsageError } from './usage-error.js';
// The front door: a trained model as a classifier (classify, verify, attention maps).
export {
  classifier,
  Classifier,
  UnknownClassError,
  NotAvailableError,
  EnrollmentError,
  type ClassifierOptions,
  type ClassifyOptions,
  type Prediction,
  type Classification,
  type Verification,
} from './pipeline/classifier.js';
// What a Classifier drives (and createServer batches): for a runtime of your own.
export type {
  ServedModel,
  ServedModelInfo,
  ServingRuntime,
  AttentionImages,
  AttentionMaps,
  BatchItem,
  BatchResult,
  ClaimedClass,
  DecodedImage,
  OnnxModelFile,
  VerificationAnswer,
  LevelClaim,
} from './pipeline/served-model.js';
// Enrollment: classes added from a few photos, without training (docs/enrollment.md).
export type { EnrolledClassInfo } from './enrollment/enrolled-classes.js';
export type { EnrollmentErrorCode } from './enrollment/errors.js';
export { MAX_ENROLL_PHOTOS, MAX_CLASS_NAME_LENGTH, MAX_ENROLLED_CLASSES, type EnrollOptions } from './enrollment/limits.js';
export type { ClassifierInput, Pixels } from './pipeline/input.js';
export type { VerificationDecision, VerificationThresholds } from './pipeline/verification.js';
// The open world: calibrate a checkpoint so it can answer "unknown"; metrics and quality checks.
export { calibrate, type CalibrateOptions, type CalibrationSummary } from './open-world/calibrate-checkpoint.js';
export type { HeadChoice, HeadDecision } from './open-world/choose-head.js';
export * as openWorld from './open-world/index.js';
// Class hierarchies: answers, thresholds, verification and evaluation per level (make → model → series).
export * as hierarchy from './hierarchy/index.js';
// Self-supervised pretraining: MAE on unlabelled photos (docs/pretraining.md).
export { pretrain, type PretrainOptions, type PretrainResult, type MaeConfig, type MaeConfigInput } from './pretrain/index.js';
export * as mae from './pretrain/index.js';
// Which photos to label next: uncertain, diverse, no near-duplicates or bad photos (docs/labelling.md).
export { suggest, type SuggestOptions, type SuggestResult } from './active-learning/suggest.js';
export { SuggestError } from './active-learning/errors.js';
export * as activeLearning from './active-learning/index.js';
// Export: a model as an ONNX graph, and the graph as the bytes of an .onnx file.
export { exportOnnx, type ExportOnnxOptions } from './export/export-onnx.js';
export { OnnxGraph, FloatAttr, FloatsAttr, type GraphNode, type GraphInitializer, type GraphValueInfo, type OnnxAttrValue } from './export/onnx-graph.js';
export { encodeOnnxModel } from './export/onnx-write.js';
