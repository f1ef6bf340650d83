/** The tensor layer: the Tensor class with all its methods, creation, scopes, devices. */
import './methods/arithmetic.js';
import './methods/comparison.js';
import './methods/reduction.js';
import './methods/shape.js';
import './methods/indexing.js';
import './methods/linalg.js';
import './methods/conversion.js';

export { Tensor, wrap, wrapAll, type NestedArray, type ToOptions, type MemoryFormat } from './tensor.js';
export * from './creation.js';
export * from './join.js';
export { scope, keep, liveTensors, scopeDepth } from './scope.js';
export { cuda, parseDevice, type Device } from './device.js';
export { dtypeCode, dtypeName, isFloating, ITEM_SIZE, type DType, type TypedArray } from './dtype.js';
export type { ReduceOptions, VarianceOptions, ValuesIndices } from './methods/reduction.js';
