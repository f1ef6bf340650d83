/**
 * The classes enrolled beside a trained model, as one immutable snapshot: a new enrollment or
 * a removal makes a new `EnrolledClasses` (with the next `version`) and the model swaps its
 * reference between two batches. A batch reads one snapshot from start to end, so every
 * answer comes from either the old or the new class set, never a mixture.
 *
 * Each class is kept as its photos' embeddings: their mean places it in the closed-form head
 * (reference.ts), and the photos extend the open-world statistics (the knn bank, the class
 * means) so that the unknown verdict knows the new class too.
 *
 * @example
 *   const next = current.with(enrolledClass);     // a new snapshot; `current` is unchanged
 *   const means = next.classMeans();              // [n, D]
 */
import { fromTypedArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { EnrollmentError } from './errors.js';

/** One enrolled class: its head row, the embeddings of its photos, and where they came from. */
export interface EnrolledClass {
  /** The class name (unique among trained and enrolled classes). */
  name: string;
  /** [photos, D] row-major: each photo's embedding, averaged with its mirror image's. */
  embeddings: Float32Array;
  /** How many photos it was enrolled from. */
  photos: number;
  /** The share of the few-shot correction its bias gets, in [0, MAX_CORRECTION] (absent: `defaultCorrection`; docs/enrollment.md). */
  correction?: number;
  /** SHA-256 of each photo's bytes (hex), when known: to tell what it was enrolled from. */
  photoSha256: string[];
  /** Its ancestors in the class hierarchy, top-down (make, model), when given or parsed. */
  parents?: string[];
  /** When, ISO 8601. */
  enrolledAt: string;
}

/** An enrolled class as lists and APIs show it (no numbers). */
export interface EnrolledClassInfo {
  /** The class name. */
  name: string;
  /** How many photos it was enrolled from. */
  photos: number;
  /** Its ancestors in the class hierarchy, top-down, when known. */
  parents?: string[];
  /** When, ISO 8601. */
  enrolledAt: string;
}

/** An immutable set of enrolled classes (see the module comment). */
export class EnrolledClasses {
  /**
   * @param classes the enrolled classes, in output order (after the trained ones)
   * @param embeddingSize D, the model's embedding size
   * @param version increases by one with every change (the sidecar stores it)
   */
  constructor(
    readonly classes: readonly EnrolledClass[],
    readonly embeddingSize: number,
    readonly version = 0,
  ) {
    for (const c of classes)
      if (!(c.photos >= 1) || c.embeddings.length !== c.photos * embeddingSize)
        throw new EnrollmentError(`enrolled class '${c.name}' does not fit ${embeddingSize}-d embeddings`);
  }

  /** How many classes are enrolled. */
  get size(): number {
    return this.classes.length;
  }

  /** Their names, in output order. */
  get names(): string[] {
    return this.classes.map((c) => c.name);
  }

  /** The classes as lists show them. */
  list(): EnrolledClassInfo[] {
    return this.classes.map(({ name, photos, parents, enrolledAt }) => ({ name, photos, ...(parents && { parents }), enrolledAt }));
  }

  /** A new snapshot with `c` appended. */
  with(c: EnrolledClass): EnrolledClasses {
    if (this.classes.some((x) => x.name === c.name)) throw new EnrollmentError(`'${c.name}' is already enrolled`, 'exists');
    return new EnrolledClasses([...this.classes, c], this.embeddingSize, this.version + 1);
  }

  /** A new snapshot without the class named `name` (an EnrollmentError 'not-found' when it is not enrolled). */
  without(name: string): EnrolledClasses {
    if (!this.classes.some((x) => x.name === name)) throw new EnrollmentError(`'${name}' is not an enrolled class`, 'not-found');
    return new EnrolledClasses(
      this.classes.filter((x) => x.name !== name),
      this.embeddingSize,
      this.version + 1,
    );
  }

  /** [M, D] every enrolled photo's embedding (a new tensor the caller disposes). */
  photoEmbeddings(): Tensor {
    const d = this.embeddingSize;
    const total = this.classes.reduce((s, c) => s + c.photos, 0);
    const all = new Float32Array(total * d);
    let at = 0;
    for (const c of this.classes) {
      all.set(c.embeddings, at);
      at += c.embeddings.length;
    }
    return fromTypedArray(all, [total, d]);
  }

  /** [n, D] each class's mean photo embedding (a new tensor the caller disposes). */
  classMeans(): Tensor {
    const d = this.embeddingSize;
    const out = new Float32Array(this.size * d);
    this.classes.forEach((c, i) => {
      for (let p = 0; p < c.photos; p++) for (let j = 0; j < d; j++) out[i * d + j]! += c.embeddings[p * d + j]! / c.photos;
    });
    return fromTypedArray(out, [this.size, d]);
  }
}
