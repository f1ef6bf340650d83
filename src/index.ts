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
