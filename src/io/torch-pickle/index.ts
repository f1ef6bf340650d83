/**
 * PyTorch checkpoints in TypeScript: torch.save's zip and legacy formats through a pickle
 * machine whose globals come only from an allowlist (nothing in the file is ever run).
 *
 * @example
 *   import { openTorchCheckpoint, loadTorchCheckpoint } from 'finegrain';
 *   const { tensors, note } = loadTorchCheckpoint('checkpoint.pth#model_ema');
 *
 * @module
 */
export { TorchCheckpointError, type TorchCheckpointErrorCode } from './error.js';
export {
  openTorchCheckpoint,
  loadTorchCheckpoint,
  isTorchCheckpoint,
  TorchCheckpoint,
  type TorchCheckpointOptions,
  type TorchTensorInfo,
} from './torch-checkpoint.js';
export { splitEntry } from './state-dict-entry.js';
export type { ReadLimits } from './raw-checkpoint.js';
export { unpickle, type PersistentLoad } from './unpickler.js';
export { bufferInput, type ByteInput } from './byte-input.js';
export { PyDict, PyTuple, PySet, PyObject, PyGlobal, TensorRef, StorageRef, TorchDtype, NumpyDtype, type PyValue } from './values.js';
