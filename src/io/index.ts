/**
 * The I/O layer: tensor files. Sits on the tensor layer only.
 *
 * @example
 *   import { saveSafetensors, loadSafetensors } from 'finegrain';
 */
export * from './safetensors/index.js';
export { writeFileAtomic, type FileSink } from './atomic-write.js';
