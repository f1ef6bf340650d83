/**
 * The one error type of the weights hub. It is a `UsageError`, so the CLI prints it as one
 * line with no stack: every failure here (an unknown name, no network, a gated repository, a
 * file missing from the cache) is something the user fixes, and the message says how. `code`
 * lets callers and tests tell the cases apart without parsing the text.
 *
 * @example
 *   try { await resolvePretrained('hf-hub:org/private'); }
 *   catch (e) { if (e instanceof WeightsError && e.code === 'UNAUTHORIZED') console.error('set HF_TOKEN'); }
 */
import { UsageError } from '../usage-error.js';

/**
 * What went wrong, by kind.
 *
 * @example
 *   if (e instanceof WeightsError && e.code === 'NOT_CACHED') console.error('run once online first');
 */
export type WeightsErrorCode =
  /** The spec is not 'hf-hub:org/repo[@rev]', 'torchvision:arch[.WEIGHTS]' or an http(s) URL. */
  | 'BAD_SPEC'
  /** A torchvision name finegrain has no weights for. */
  | 'UNKNOWN_WEIGHTS'
  /** A hub repository whose architecture has no finegrain model with the same state-dict names. */
  | 'UNSUPPORTED_ARCHITECTURE'
  /** Offline (or unreachable) and the file is not in the cache. */
  | 'NOT_CACHED'
  /** 404: repository, revision or file. */
  | 'NOT_FOUND'
  /** 401: private or gated repository without a valid token. */
  | 'UNAUTHORIZED'
  /** 403: gated repository whose terms the token's user has not accepted, or no access. */
  | 'FORBIDDEN'
  /** The host could not be reached, or the connection broke and retries ran out. */
  | 'NETWORK'
  /** Any other unexpected HTTP answer. */
  | 'HTTP'
  /** The bytes do not match their published hash or size: rejected, not cached. */
  | 'INTEGRITY'
  /** `options.signal` aborted the download (the partial file is kept for a resume). */
  | 'ABORTED';

/**
 * A failure to resolve or download weights, with a one-line message that says what to do.
 *
 * @example
 *   throw new WeightsError('NOT_FOUND', "hf-hub:timm/nope: repository 'timm/nope' not found on https://huggingface.co");
 */
export class WeightsError extends UsageError {
  /** 'WeightsError', for logs and for callers that test names rather than classes. */
  override name = 'WeightsError';
  /** What went wrong, by kind: test it rather than the message. */
  readonly code: WeightsErrorCode;
  constructor(code: WeightsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
