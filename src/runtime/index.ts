export * from './settings.js';
export { cpuHasFastBf16, resolveChannelsLast, resolveDevice, resolvePrecision, type Precision } from './device-choice.js';
export { holdTensorCache, tensorCacheLimitBytes, tensorCacheStats, type TensorCacheStats } from './tensor-cache.js';
