/**
 * finegrain: fine-grained visual recognition in TypeScript on libtorch.
 *
 * @example
 *   import { randn, scope, noGrad } from 'finegrain';
 */
export * from './tensor/index.js';
export * from './autograd/index.js';
export * from './runtime.js';
export * as F from './nn/functional/index.js';
export * from './nn/functional/index.js';
export * from './io/index.js';
export * from './optim/index.js';
export * from './io/onnx/index.js';
export * from './models/pretrained/index.js';
export * from './nn/index.js';
export * from './models/index.js';
export * as data from './data/index.js';
export * as distributed from './distributed/index.js';
export { train, type TrainResult, type TrainOptions } from './train/trainer.js';
export { parseTrainConfig, readConfigFile, type TrainConfig, type TrainConfigInput } from './train/config.js';
export { saveCheckpoint, loadCheckpoint, type Checkpoint, type CheckpointMeta } from './train/checkpoint.js';
export { cosineWithWarmup } from './train/schedule.js';
export { ModelEma } from './train/ema.js';
export { attentionMaps } from './train/attention-map.js';
export { attentionRegionCrop, scdaCrop, type AttentionMap, type AttentionCropOptions } from './train/crop-boxes.js';
export { selectPseudoLabels, type PseudoLabels } from './train/pseudo-labels.js';
export { loadModelFromCheckpoint, type LoadedModel } from './infer/load-model.js';
export { predictDataset, type DatasetPredictions, type EnsembleMember, type PredictOptions } from './infer/predict-dataset.js';
export { ttaForward, type TtaOptions } from './infer/tta.js';
export { classificationReport, formatReport, headTailAccuracy, type ClassificationReport } from './infer/metrics.js';
