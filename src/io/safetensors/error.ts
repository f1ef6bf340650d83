/**
 * The one error type for malformed or unsupported safetensors data. Its `code` says what
 * is wrong (for programs); its message says the same and names the tensor (for people).
 * Operating-system errors (a missing file, a full disk) pass through unchanged as Node's
 * own errors, so `ENOENT` stays `ENOENT`.
 *
 * @example
 *   try {
 *     loadSafetensors('model.safetensors');
 *   } catch (e) {
 *     if (e instanceof SafetensorsError && e.code === 'UNSUPPORTED_DTYPE') console.warn(e.message);
 *     else throw e;
 *   }
 */
import { UsageError } from '../../usage-error.js';

/** What is wrong with a safetensors file or with data to be written as one, by kind (`SafetensorsError.code`). */
export type SafetensorsErrorCode =
  /** Fewer than 8 bytes: no room for the header length. */
  | 'HEADER_TOO_SMALL'
  /** The header length is over the cap (100 MB unless `maxHeaderSize` says otherwise). */
  | 'HEADER_TOO_LARGE'
  /** The header length points past the end of the file. */
  | 'INVALID_HEADER_LENGTH'
  /** The header is not valid UTF-8. */
  | 'INVALID_UTF8'
  /** The header does not begin with `{` (so is not a JSON object). */
  | 'INVALID_HEADER_START'
  /** The header is not valid JSON (or nests too deeply). */
  | 'INVALID_JSON'
  /** A key appears twice in one JSON object. */
  | 'DUPLICATE_KEY'
  /** `__metadata__` is not an object of string values. */
  | 'INVALID_METADATA'
  /** A tensor entry is not `{dtype, shape, data_offsets}` of the right JSON types. */
  | 'INVALID_TENSOR_INFO'
  /** A dtype name that safetensors does not define. */
  | 'INVALID_DTYPE'
  /** A safetensors dtype that finegrain has no tensors for (U16, U32, U64, F8_*, ...). */
  | 'UNSUPPORTED_DTYPE'
  /** A shape entry is not a non-negative integer, or the element count overflows. */
  | 'INVALID_SHAPE'
  /** `data_offsets` are not two non-negative integers with begin <= end. */
  | 'INVALID_OFFSETS'
  /** Tensors overlap or leave a hole between them. */
  | 'NON_CONTIGUOUS_OFFSETS'
  /** A tensor's bytes run past the end of the file. */
  | 'OFFSET_OUT_OF_RANGE'
  /** The tensors end before the file does (trailing bytes the header does not cover). */
  | 'INCOMPLETE_BUFFER'
  /** The byte range does not hold numel × itemsize bytes. */
  | 'SIZE_MISMATCH'
  /** A sub-byte dtype whose element count does not fill whole bytes. */
  | 'MISALIGNED'
  /** The file got shorter while being read. */
  | 'UNEXPECTED_EOF'
  /** A requested tensor name is not in the file. */
  | 'KEY_NOT_FOUND'
  /** Something that cannot be written: bad names, metadata, or a header over the cap. */
  | 'INVALID_ARGUMENT';

/** Malformed or unsupported safetensors data; `code` says what, the message names the tensor. */
export class SafetensorsError extends UsageError {
  /** 'SafetensorsError', for logs and for callers that test names rather than classes. */
  override readonly name = 'SafetensorsError';
  /** What is wrong, by kind: test it rather than the message. */
  readonly code: SafetensorsErrorCode;
  /** The tensor the problem is in, when there is one. */
  readonly tensor?: string;

  constructor(code: SafetensorsErrorCode, message: string, tensor?: string) {
    super(`${message} [${code}]`);
    this.code = code;
    if (tensor !== undefined) this.tensor = tensor;
  }
}

/** Quotes a tensor name for messages, cut short so a hostile 1 MB name cannot flood a log. */
export function quoteName(name: string): string {
  const q = JSON.stringify(name);
  return q.length > 120 ? `${q.slice(0, 100)}…" (${name.length} chars)` : q;
}
