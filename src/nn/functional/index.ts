/**
 * The neural-network functions (torch.nn.functional): stateless operations on tensors with
 * PyTorch's semantics and defaults, options as objects. Modules in src/nn hold the parameters
 * and call these.
 *
 * @example
 *   import { F } from 'finegrain';
 *   const h = F.relu(F.batchNorm(F.conv2d(x, w, null, { stride: 2, padding: 1 }), mean, variance, { training: true }));
 *   const loss = F.crossEntropy(F.linear(F.adaptiveAvgPool2d(h, 1).flatten(1), fcW, fcB), labels, { labelSmoothing: 0.1 });
 *
 * @module
 */
export type { Size2, Reduction } from './args.js';
export * from './conv.js';
export { pointwiseConvAsMatmul, setPointwiseConvAsMatmul } from './pointwise-conv.js';
export * from './linear.js';
export * from './normalization.js';
export * from './activation.js';
export * from './pooling.js';
export * from './dropout.js';
export * from './interpolate.js';
export * from './padding.js';
export * from './grid.js';
export * from './loss.js';
export * from './embedding.js';
export * from './distance.js';
