/**
 * A user's mistake — a bad flag, an empty or one-class dataset, a missing file, a
 * checkpoint that is not one — as opposed to a bug. The CLI prints a UsageError as one line
 * (`finegrain train: data not found: birds/`) with no stack trace and exits with status 2;
 * every other error keeps its stack. Library callers can test `e instanceof UsageError` or
 * `e.name === 'UsageError'`.
 *
 * @example
 *   if (!existsSync(path)) throw new UsageError(`data not found: ${path}`);
 */
export class UsageError extends Error {
  /** 'UsageError' (subclasses set their own): how the CLI and `isUsageError` recognise it across module copies. */
  override name = 'UsageError';
}

/** Whether an error is the user's mistake (by class, or by the name older code sets). */
export function isUsageError(e: unknown): e is Error {
  return e instanceof Error && (e instanceof UsageError || e.name === 'UsageError');
}
