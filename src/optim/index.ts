/**
 * Optimisers, gradient clipping and loss scaling (torch.optim, torch.nn.utils.clip_grad, torch.cuda.amp.GradScaler).
 *
 * @module
 */
export { Optimizer, type AnyOptimizer, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type ParamState, type HyperValue } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions } from './clip-grad.js';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad-scaler.js';
export { foreach } from './foreach.js';
