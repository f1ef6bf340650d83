/**
 * The one error type for PyTorch checkpoints finegrain will not or cannot read. `code` says
 * what is wrong (for programs); the message names the file and the part of it (for people).
 * Operating-system errors (a missing file) pass through as Node's own errors.
 *
 * @example
 *   try {
 *     loadTorchCheckpoint('model.pth');
 *   } catch (e) {
 *     if (e instanceof TorchCheckpointError && e.code === 'REFUSED') console.error(e.message);
 *     else throw e;
 *   }
 */
import { UsageError } from '../../usage-error.js';

/** What is wrong with a PyTorch checkpoint, by kind (`TorchCheckpointError.code`). */
export type TorchCheckpointErrorCode =
  /** The pickle reaches for a global (a function or class) outside the allowlist, or a use of one that is not allowed. */
  | 'REFUSED'
  /** Not a PyTorch checkpoint at all (neither its zip format nor the legacy one). */
  | 'NOT_A_CHECKPOINT'
  /** The zip archive's structure is broken: directory, headers, names, sizes. */
  | 'BAD_ARCHIVE'
  /** The pickle stream is malformed: unknown opcode, stack or memo misuse, truncated. */
  | 'BAD_PICKLE'
  /** A tensor or storage that does not fit its data: out-of-range views, sizes that disagree. */
  | 'BAD_TENSOR'
  /** A checksum in the archive does not match its bytes. */
  | 'CHECKSUM'
  /** Something valid that finegrain cannot hold (complex or quantized tensors, TorchScript). */
  | 'UNSUPPORTED'
  /** The file exceeds a safety limit (pickle size, nesting depth). */
  | 'LIMIT'
  /** The checkpoint holds no state dict, or not the entry asked for. */
  | 'NO_STATE_DICT';

/** A checkpoint that cannot be read; a UsageError, so the CLI prints its one line without a stack. */
export class TorchCheckpointError extends UsageError {
  /** What is wrong, by kind: test it rather than the message. */
  readonly code: TorchCheckpointErrorCode;
  constructor(code: TorchCheckpointErrorCode, message: string) {
    super(message);
    this.name = 'TorchCheckpointError';
    this.code = code;
  }
}

/** Throws a TorchCheckpointError; a helper so checks read as one line. */
export function fail(code: TorchCheckpointErrorCode, message: string): never {
  throw new TorchCheckpointError(code, message);
}
