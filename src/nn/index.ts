/**
 * The module system: `Module` (parameters, buffers, submodules, state dicts with PyTorch's
 * key names, freezing, modes, device/dtype moves), the layers, initialisers, FLOP counting,
 * parameter groups for optimizers, and the attention modules (`attention.create`).
 *
 * @example
 *   import { Sequential, Conv2d, BatchNorm2d, ReLU, attention } from 'finegrain';
 *   const block = new Sequential([new Conv2d(64, 64, 3, { padding: 1, bias: false }), new BatchNorm2d(64), new ReLU(), attention.create('se', 64)]);
 *   block.stateDict(); // keys '0.weight', '1.weight', '1.running_mean', …, '3.fc1.weight'
 *
 * @module
 */
export { Module, type StateDict, type ModuleToOptions } from './module.js';
export { formatLoadReport, type LoadStateDictOptions, type LoadStateDictReport, type ShapeMismatch, type StateDictInput } from './state-dict.js';
export { parameterGroups, type ParameterGroup, type ParameterGroupOptions } from './parameter-groups.js';
export { countFlops, countFlopsOf, addFlops, flopsCounting, type FlopCount } from './flops.js';
export { makeDivisible, roundHalfEven } from './divisible.js';
export * as init from './init.js';
export { withoutInit } from './init.js';
export * from './layers/index.js';
export * as attention from './attention/index.js';
export { foldBatchNorms } from './fold-batch-norm.js';
export { planConvolutions, type ConvPlanReport, type PlanConvolutionsOptions } from './plan-convolutions.js';
export type { AttentionKind, AttentionOptions } from './attention/index.js';
