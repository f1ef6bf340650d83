/**
 * The errors of class hierarchies. A bad hierarchy file, a mapping that does not fit the
 * model's classes or a claim that names no node is the user's mistake, not a bug: both errors
 * are `UsageError`s, so the CLI prints them as one line.
 *
 * @example
 *   try { readHierarchyFile('cars.json', classes); } catch (e) { if (e instanceof HierarchyError) console.error(e.message); }
 */
import { UsageError } from '../usage-error.js';

/** A hierarchy that cannot be built or used: a malformed file or sidecar, a mapping that does not fit the classes. */
export class HierarchyError extends UsageError {
  /** 'HierarchyError', for logs and for callers that test names rather than classes. */
  override name = 'HierarchyError';
}

/** A claim that names no node of the hierarchy; `closest` lists the nearest node names. */
export class UnknownClaimError extends HierarchyError {
  /** 'UnknownClaimError'. */
  override name = 'UnknownClaimError';
  /** @internal */
  constructor(
    /** The claim as given. */
    readonly claimed: string,
    /** The node names nearest to it, closest first. */
    readonly closest: string[],
  ) {
    super(`'${claimed}' names no class or group of the hierarchy; closest: ${closest.map((c) => `'${c}'`).join(', ')}`);
  }
}

/** Up to `n` items quoted and comma-separated, with a count of the rest: for messages that list offenders. */
export function listSome(items: readonly string[], n = 5): string {
  const shown = items.slice(0, n).map((s) => `'${s}'`);
  return items.length > n ? `${shown.join(', ')} and ${items.length - n} more` : shown.join(', ');
}
