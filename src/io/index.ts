/**
 * The I/O layer: tensor files. Sits on the tensor layer (and the native addon's byte
 * movers in native/src/io.cc).
 *
 * @example
 *   import { saveSafetensors, loadSafetensors } from 'finegrain';
 */
export * from './safetensors/index.js';
export * from './torch-pickle/index.js';
export { openWeights, weightsFormat, type WeightsFile } from './weights-file.js';
export { appendFileDurable, copyFileAtomic, writeFileAtomic, type FileSink } from './atomic-write.js';
export { preadTensor, preadTensors, pwriteTensor, copyTensorBytes } from './tensor-bytes.js';
