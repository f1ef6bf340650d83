/**
 * What an enrollment may be: the class name's rules, how many photos, how many classes, and
 * the options a model's `enroll` takes. Loads no native addon (the ONNX path and the server's
 * request checks import it).
 *
 * @example
 *   checkPhotoCount(files.length);           // an EnrollmentError unless 1 … MAX_ENROLL_PHOTOS
 *   const name = checkClassName(raw, trained, enrolledNames);
 */
import { EnrollmentError } from './errors.js';

/** The most photos one enrollment takes: a few-shot method; more photos call for training. */
export const MAX_ENROLL_PHOTOS = 50;
/** The longest class name, in characters. */
export const MAX_CLASS_NAME_LENGTH = 200;
/** The most classes a model may have enrolled at once. */
export const MAX_ENROLLED_CLASSES = 1000;

/**
 * `name` trimmed, or an EnrollmentError: empty, too long, control characters, or already a
 * trained or enrolled class (`exists`).
 */
export function checkClassName(name: unknown, trained: readonly string[], enrolled: readonly string[]): string {
  if (typeof name !== 'string') throw new EnrollmentError('the class name must be a string');
  const n = name.trim();
  if (!n) throw new EnrollmentError('the class name is empty');
  if (n.length > MAX_CLASS_NAME_LENGTH) throw new EnrollmentError(`the class name has ${n.length} characters; at most ${MAX_CLASS_NAME_LENGTH}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(n)) throw new EnrollmentError('the class name contains control characters');
  if (trained.includes(n)) throw new EnrollmentError(`'${n}' is a trained class already`, 'exists');
  if (enrolled.includes(n)) throw new EnrollmentError(`'${n}' is enrolled already; remove it first to enroll it again`, 'exists');
  if (enrolled.length >= MAX_ENROLLED_CLASSES)
    throw new EnrollmentError(`${MAX_ENROLLED_CLASSES} classes are enrolled already; retrain with them as data`, 'too-many');
  return n;
}

/** How many photos an enrollment may take: an EnrollmentError unless 1 … MAX_ENROLL_PHOTOS. */
export function checkPhotoCount(n: number): void {
  if (n < 1) throw new EnrollmentError('no photos: enrollment needs at least one photo of the class');
  if (n > MAX_ENROLL_PHOTOS)
    throw new EnrollmentError(`${n} photos; an enrollment takes at most ${MAX_ENROLL_PHOTOS} (more photos call for training)`, 'too-many');
}

/** Options of a model's `enroll` (classifier, server, CLI). */
export interface EnrollOptions {
  /** Write the enrolled set beside the checkpoint (default true), so that serve, eval and predict see it. */
  save?: boolean;
  /** SHA-256 of each photo's bytes, recorded with the class. */
  photoSha256?: string[];
  /** The class's ancestors in the hierarchy, top-down (default: parsed from the name when the hierarchy was). */
  parents?: string[];
  /**
   * How much of the few-shot correction the class's bias gets, in [0, MAX_CORRECTION] (default
   * `defaultCorrection`: 1, or 0.5 for calibrations from before the mean scale): higher lets a
   * class of few photos win more of its own photos from its look-alikes and take more of theirs
   * (docs/enrollment.md has the table).
   */
  correction?: number;
}

/**
 * The share of the few-shot correction an enrolled class gets when the trained classes' means
 * are scaled by the β their validation photos measured (closed-form-head.ts): 1, the correction
 * that the training photos' own scatter predicts. bench/enroll (cars33, 5 photos, α 0.3, β 0.61):
 * 45 % of the new series' photos, the trained series down 1.3 points; 1.5: 63 % and −4.4.
 */
export const DEFAULT_CORRECTION = 1;
/**
 * The default for a calibration without β (written before it existed): its trained means sit
 * too far from new photos, so the full correction lets new classes take their photos (5 photos,
 * α 1: 76 % recognised, trained series 80.7 → 67.8 %); half of it gave 65 % and 75.1 %.
 */
export const DEFAULT_CORRECTION_UNSCALED = 0.5;
/**
 * The largest share: unseen photos scatter more than the training photos the correction is
 * measured on (on cars33's validation photos 1.6–2.2 times, by α), so shares above 1 still
 * undercorrect a class's mean up to about that factor.
 */
export const MAX_CORRECTION = 3;

/** The default share for a head whose trained means are scaled by `meanScale` (β; 1: not scaled). */
export function defaultCorrection(meanScale: number): number {
  return meanScale < 1 ? DEFAULT_CORRECTION : DEFAULT_CORRECTION_UNSCALED;
}

/** An EnrollmentError unless `c` is a share in [0, MAX_CORRECTION] (or undefined). */
export function checkCorrection(c: unknown): void {
  if (c === undefined) return;
  if (typeof c !== 'number' || !(c >= 0 && c <= MAX_CORRECTION))
    throw new EnrollmentError(`correction must be a number in [0, ${MAX_CORRECTION}], got ${JSON.stringify(c)}`);
}
