/**
 * One class enrolled from the embeddings of its photos, kept for the closed-form head (their
 * mean) and the open-world statistics (each photo). The model that computes the embeddings
 * (pipeline/libtorch-model.ts) calls it.
 *
 * @example
 *   const c = enrolledClass('Audi Q7 SUV 2012', perPhoto, { photoSha256 });
 *   const next = enrolled.with(c);
 */
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { EnrolledClass } from './enrolled-classes.js';
import { checkPhotoCount } from './limits.js';

/** Options of `enrolledClass`. */
export interface EnrolledClassOptions {
  /** SHA-256 of each photo's bytes, when known. */
  photoSha256?: string[];
  /** Its ancestors in the class hierarchy, top-down. */
  parents?: string[];
  /** The share of the few-shot correction, in [0, MAX_CORRECTION] (default `defaultCorrection`). */
  correction?: number;
}

/** The class `name` from `perPhoto` [n, D] (each photo's embedding, flip-averaged). */
export function enrolledClass(name: string, perPhoto: Tensor, options: EnrolledClassOptions = {}): EnrolledClass {
  const n = perPhoto.size(0);
  checkPhotoCount(n);
  const embeddings = scope(() => Float32Array.from(perPhoto.float().contiguous().toTypedArray() as Float32Array));
  return {
    name,
    embeddings,
    photos: n,
    photoSha256: options.photoSha256 ?? [],
    ...(options.correction !== undefined && { correction: options.correction }),
    ...(options.parents && { parents: options.parents }),
    enrolledAt: new Date().toISOString(),
  };
}
