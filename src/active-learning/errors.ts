/**
 * A `suggest` run refused before it ranks anything: no such checkpoint or folder, a folder
 * with no photos, a count or option out of range. The caller's mistake, so a `UsageError` (the
 * CLI prints one line and exits with status 2). Unreadable or poor photos are never errors:
 * they are reported and left out.
 *
 * @example
 *   try { await suggest(ckpt, { unlabeled: 'photos/', count: 0 }); }
 *   catch (e) { if (e instanceof SuggestError) console.error(e.message); } // count must be a positive integer, got 0
 */
import { UsageError } from '../usage-error.js';

/** A refused `suggest` run (see the file comment). */
export class SuggestError extends UsageError {
  /** 'SuggestError'. */
  override name = 'SuggestError';
}
