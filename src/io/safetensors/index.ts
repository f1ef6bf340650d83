/**
 * safetensors (https://github.com/huggingface/safetensors): the tensor file format without
 * code execution, read and written in TypeScript.
 *
 * @example
 *   saveSafetensors('m.safetensors', { w: randn([2, 2]) }, { note: 'demo' });
 *   const { tensors, metadata } = loadSafetensors('m.safetensors');
 *
 * @module
 */
export { SafetensorsError, type SafetensorsErrorCode } from './error.js';
export { loadSafetensors, parseSafetensors, type LoadOptions, type LoadedSafetensors } from './load.js';
export { openSafetensors, SafetensorsFile, type SafetensorsTensorInfo } from './open.js';
export { saveSafetensors, serializeSafetensors } from './save.js';
export type { TensorLoadOptions } from './materialize.js';
export type { HeaderOptions } from './source.js';
export { MAX_HEADER_SIZE } from './header.js';
