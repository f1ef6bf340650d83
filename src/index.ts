/**
 * finegrain: fine-grained visual recognition in TypeScript on libtorch.
 *
 * @example
 *   import { randn, scope, noGrad } from 'finegrain';
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
export { cosineWithWarmup } from './train/schedule.js';
export { ModelEma } from './train/ema.js';
export { attentionRegionCrop, scdaCrop, type AttentionMap, type AttentionCropOptions } from './train/crop-boxes.js';
export { selectPseudoLabels, type PseudoLabels } from './train/pseudo-labels.js';
export { predictDataset, type DatasetPredictions, type EnsembleMember, type PredictOptions } from './evaluation/predict-dataset.js';
export { ttaForward, type TtaOptions } from './evaluation/tta.js';
export { classificationReport, formatReport, headTailAccuracy, type ClassificationReport } from './evaluation/metrics.js';
export { UsageError, isUsageError } from './usage-error.js';
// The front door: a trained model as a classifier (classify, verify, attention maps).
export {
  classifier,
  Classifier,
  UnknownClassError,
  NotAvailableError,
  type ClassifierOptions,
  type ClassifyOptions,
  type Prediction,
  type Classification,
  type Verification,
} from './pipeline/classifier.js';
export type { ServedModel, ServedModelInfo, AttentionImages } from './pipeline/served-model.js';
export type { ClassifierInput } from './pipeline/input.js';
// The open world: calibrate a checkpoint so it can answer "unknown"; metrics and quality checks.
export { calibrate, type CalibrateOptions, type CalibrationSummary } from './open-world/calibrate-checkpoint.js';
export * as openWorld from './open-world/index.js';
// Export: a model as an ONNX graph, and the graph as the bytes of an .onnx file.
export { exportOnnx, type ExportOnnxOptions } from './export/export-onnx.js';
export { encodeOnnxModel } from './export/onnx-write.js';
