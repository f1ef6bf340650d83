/**
 * The layer modules (torch.nn equivalents), one concept per file.
 *
 * @module
 */
export { Conv2d, type Conv2dLayerOptions } from './conv2d.js';
export { PlannedConv2d, alreadyActivated, type ConvPostOp, type PlannedConv2dOptions } from './planned-conv2d.js';
export { FusedActivationPass } from './fused-activation-pass.js';
export { Linear } from './linear.js';
export { BatchNorm2d, type BatchNormLayerOptions } from './batch-norm.js';
export { LayerNorm, type LayerNormLayerOptions } from './layer-norm.js';
export { GroupNorm } from './group-norm.js';
export { Dropout } from './dropout.js';
export { Identity } from './identity.js';
export {
  ReLU,
  ReLU6,
  SiLU,
  GELU,
  Hardswish,
  Hardsigmoid,
  Sigmoid,
  Tanh,
  createActivation,
  type ActivationName,
  type ActivationOptions,
} from './activations.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling.js';
export { Flatten } from './flatten.js';
export { Sequential, runChain, type ModuleEntries } from './sequential.js';
export { ModuleList } from './module-list.js';
export { ConvNormAct, conv2dNormActivation, timmPadding, type ConvNormActOptions, type Conv2dNormActivationOptions } from './conv-norm-act.js';
