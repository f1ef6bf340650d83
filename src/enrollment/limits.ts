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
   * How much of the few-shot correction the class's bias gets, in [0, 1] (default DEFAULT_CORRECTION, 0.5): 1 lets a
   * class of few photos win its own photos from its look-alikes; lower values take fewer photos
   * from the trained classes and recognise fewer of its own (docs/enrollment.md has the table).
   */
  correction?: number;
}

/**
 * The share of the few-shot correction an enrolled class gets by default. bench/enroll (cars33, 5
 * photos, the closed-form head the calibration chose): 1 recognises 76 % of the new series' photos
 * but takes the trained series from 80.7 to 67.8 %; 0.5 recognises 65 % and keeps them at 75.1 %;
 * 0.25, 58 % and 78.1 %.
 */
export const DEFAULT_CORRECTION = 0.5;

/** An EnrollmentError unless `c` is a share in [0, 1] (or undefined). */
export function checkCorrection(c: unknown): void {
  if (c === undefined) return;
  if (typeof c !== 'number' || !(c >= 0 && c <= 1)) throw new EnrollmentError(`correction must be a number in [0, 1], got ${JSON.stringify(c)}`);
}
