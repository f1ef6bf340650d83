/**
 * The dataset types every reader returns: a list of image files with integer labels, the
 * class names those labels index, and a report of what was left out while listing.
 * The class list is part of the dataset (and of every checkpoint trained on it), so
 * predictions can name classes rather than indices.
 *
 * @example
 *   const ds = imageFolder('data/birds');
 *   console.log(ds.classes[ds.samples[0].label]); // "Black_footed_Albatross"
 */
import type { SkipReport } from '../skip-report.js';
import { UsageError } from '../../usage-error.js';

/** A region of an image in fractions of its width and height (0..1), e.g. an attention crop. */
export interface Box {
  /** Left edge, as a fraction of the image width (0 is the left border). */
  readonly x: number;
  /** Top edge, as a fraction of the image height (0 is the top border). */
  readonly y: number;
  /** Width, as a fraction of the image width. */
  readonly width: number;
  /** Height, as a fraction of the image height. */
  readonly height: number;
}

/** One image of a dataset: its file, its label and, for datasets with boxes, where the object is. */
export interface Sample {
  /** Absolute (or process-relative) path of the image file. */
  readonly path: string;
  /** Index into the dataset's `classes`; -1 for unlabeled images. */
  readonly label: number;
  /** Optional region to crop to (used by `cropToBox`), in fractions of the image. */
  readonly box?: Box;
}

/**
 * A labelled list of image files, as every dataset reader returns it (`imageFolder`, `csvDataset`,
 * `cubDataset`, ...). Nothing is decoded until the loader reads a sample.
 */
export interface ImageDataset {
  /** Class names; label i names classes[i]. Empty for unlabeled data. */
  readonly classes: readonly string[];
  /** The images, in the reader's order (sorted by class, then path, for folders). */
  readonly samples: readonly Sample[];
  /** Files and class folders left out while listing, with reasons. */
  readonly skipped: SkipReport;
  /** Where the data came from, for messages. */
  readonly source: string;
}

/**
 * Thrown when a dataset cannot be used at all (as opposed to single files being skipped).
 *
 * @example
 *   if (e instanceof DatasetError) console.error(e.message);
 */
export class DatasetError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/**
 * Number of samples per class (index = label).
 *
 * @example
 *   classCounts(ds); // [30, 29, 31, ...]
 */
export function classCounts(ds: ImageDataset): number[] {
  const counts = new Array<number>(ds.classes.length).fill(0);
  for (const s of ds.samples) if (s.label >= 0) counts[s.label]!++;
  return counts;
}

/**
 * Throws a DatasetError unless at least `min` classes have samples: a classifier needs two
 * classes to learn anything, and a typo in a path should fail loudly, not train on nothing.
 *
 * @example
 *   requireUsableClasses(ds); // throws DatasetError with fewer than 2
 */
export function requireUsableClasses(ds: ImageDataset, min = 2): void {
  const usable = classCounts(ds).filter((n) => n > 0).length;
  if (usable < min) {
    const skipped = ds.skipped.count ? `; ${ds.skipped.summary()}` : '';
    throw new DatasetError(
      `${ds.source}: ${usable} usable class${usable === 1 ? '' : 'es'} with images (${ds.samples.length} images), at least ${min} needed${skipped}`,
    );
  }
}
