/**
 * One door for every weights file finegrain reads: safetensors, or a PyTorch checkpoint
 * (`.pth`, `.pt`, `.bin`, `.ckpt`; zip or legacy format, `path#entry` for a nested state
 * dict). The format is told by the file's first bytes, not its name. Both are opened lazily
 * and read tensor by tensor, so loading a model never holds two copies of its weights.
 *
 * @example
 *   using file = openWeights('resnet50-0676ba61.pth');
 *   for (const key of file.keys()) model.stateEntries()...;
 *   const w = file.get('fc.weight');
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import type { DType, Tensor } from '../tensor/index.js';
import { openSafetensors } from './safetensors/index.js';
import type { TensorLoadOptions } from './safetensors/materialize.js';
import { isTorchCheckpoint, openTorchCheckpoint, splitEntry, type TorchCheckpointOptions } from './torch-pickle/index.js';
import { UsageError } from '../usage-error.js';

/** An open weights file of either format (what `openWeights` returns): names, shapes and dtypes are known, tensors are read on `get()`. Close it with `close()` or `using`. */
export interface WeightsFile {
  /** The file, without any `#entry` part. */
  readonly path: string;
  /** 'safetensors' or PyTorch's 'zip' / 'legacy' checkpoint format. */
  readonly format: 'safetensors' | 'zip' | 'legacy';
  /** For PyTorch checkpoints: which entry was taken and what was stripped, in one line. */
  readonly note?: string;
  /** The tensor names, in the file's order. */
  keys(): string[];
  /**
   * The names in the order their bytes lie in the file. Loading in this order reads the file
   * in one forward pass; out of order, a large PyTorch checkpoint's load was measured to leave
   * the process with up to 1.5x the weights resident now and then (glibc's heap), in file
   * order never.
   */
  keysInFileOrder(): string[];
  /** Whether the file has a tensor called `name`. */
  has(name: string): boolean;
  /** Dtype and shape of one tensor, without reading it. */
  info(name: string): {
    /** The element type, or undefined for types finegrain cannot hold. */
    dtype: DType | undefined;
    /** The tensor's shape. */
    shape: number[];
  };
  /** Reads one tensor; the caller owns it. */
  get(name: string, options?: TensorLoadOptions): Tensor;
  /** Releases the file descriptor. Safe to call twice; tensors already read stay valid. */
  close(): void;
  /** `close()`, for `using file = openWeights(...)`. */
  [Symbol.dispose](): void;
}

/**
 * 'torch' or 'safetensors' from the first bytes of the file (a safetensors file opens with a
 * header length that fits the file, then `{`), 'unknown' for anything else; throws for a
 * missing file.
 */
export function weightsFormat(path: string): 'safetensors' | 'torch' | 'unknown' {
  const fd = openSync(path, 'r');
  try {
    const first = new Uint8Array(9);
    const n = readSync(fd, first, 0, 9, 0);
    if (isTorchCheckpoint(first.subarray(0, n))) return 'torch';
    if (n < 9) return 'unknown';
    const headerLength = new DataView(first.buffer).getBigUint64(0, true);
    return headerLength + 8n <= BigInt(fstatSync(fd).size) && first[8] === 0x7b ? 'safetensors' : 'unknown';
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a safetensors file or a PyTorch checkpoint (`path#entry` picks a nested state dict).
 * Missing files throw a UsageError naming the path.
 *
 * @example
 *   const file = openWeights('last.ckpt#state_dict');
 *   console.log(file.note); // "last.ckpt: entry 'state_dict' (Lightning); 'model.' stripped from 161 keys"
 *   file.close();
 */
export function openWeights(spec: string, options: TorchCheckpointOptions = {}): WeightsFile {
  const { path, entry } = existsSync(spec) ? { path: spec, entry: undefined } : splitEntry(spec);
  if (!existsSync(path)) throw new UsageError(`weights file not found: ${path}`);
  const format = weightsFormat(path);
  if (format === 'unknown')
    throw new UsageError(`${path} is not a weights file finegrain reads: neither safetensors nor a PyTorch checkpoint (torch.save's zip or legacy format)`);
  if (format === 'torch') return openTorchCheckpoint(path, { ...options, ...(entry !== undefined && options.entry === undefined ? { entry } : {}) });
  if (entry !== undefined || options.entry !== undefined)
    throw new UsageError(`${path} is a safetensors file: it has no entries to pick ('#${entry ?? options.entry}')`);
  return openSafetensors(path);
}
