export * from './settings.js';
export { cpuHasFastBf16, resolveChannelsLast, resolveDevice, resolvePrecision, type Precision } from './device-choice.js';
