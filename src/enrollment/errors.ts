/**
 * The errors of enrollment. Every one is the caller's mistake or a limit, not a bug: they are
 * `UsageError`s (the CLI prints one line), and `code` tells the server which 4xx to answer.
 *
 * @example
 *   try { await clf.enroll('Audi S4 Sedan 2012', photos); }
 *   catch (e) { if (e instanceof EnrollmentError && e.code === 'exists') console.log('already a class'); }
 */
import { UsageError } from '../usage-error.js';

/**
 * Why an enrollment or removal was refused: `invalid` (a bad name or photo), `exists` (the
 * name is a class already), `not-found` (no enrolled class has the name), `too-many` (too
 * many photos or classes), `unsupported` (this model cannot enroll: an ensemble, no
 * calibration, the ONNX runtime), `trained` (a trained class cannot be removed).
 */
export type EnrollmentErrorCode = 'invalid' | 'exists' | 'not-found' | 'too-many' | 'unsupported' | 'trained';

/** An enrollment or removal that was refused; nothing changed. */
export class EnrollmentError extends UsageError {
  /** 'EnrollmentError'. */
  override name = 'EnrollmentError';
  /** @internal */
  constructor(
    message: string,
    /** Why (see EnrollmentErrorCode). */
    readonly code: EnrollmentErrorCode = 'invalid',
  ) {
    super(message);
  }
}
