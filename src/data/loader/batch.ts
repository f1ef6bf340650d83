/**
 * One batch from the loader. Its tensors belong to the batch and are not tracked by any
 * scope (they are made between your awaits): free them with `batch.dispose()` when the
 * step is done, or write `using batch = ...` / `for await (using batch of ...)`.
 *
 * @example
 *   for await (const batch of loader.epoch(0)) {
 *     const loss = scope(() => step(batch.images, batch.labels));
 *     batch.dispose();
 *   }
 */
import type { Tensor } from '../../tensor/index.js';

/**
 * One batch from the loader: images, labels and where they came from. Free its tensors with
 * `dispose()` (or `using`) when the step is done.
 */
export interface Batch {
  /** float32 [N, 3, H, W] (uint8 if the pipeline does not normalize). */
  readonly images: Tensor;
  /** int64 [N] class indices (-1 for unlabeled samples). */
  readonly labels: Tensor;
  /** float32 [N, numClasses] soft targets when the loader mixes (Mixup/CutMix), else null. */
  readonly targets: Tensor | null;
  /** The same labels as numbers. */
  readonly labelList: readonly number[];
  /** Dataset indices and paths of the images, in batch order. */
  readonly indices: readonly number[];
  /** The image files, in batch order. */
  readonly paths: readonly string[];
  /** The epoch this batch belongs to (0-based). */
  readonly epoch: number;
  /** Position of the batch in the epoch (0-based). */
  readonly index: number;
  /** Images of this batch that could not be decoded (already in the loader's report). */
  readonly skipped: number;
  /** Frees the batch's tensors (images, labels, targets). Safe to call twice. */
  dispose(): void;
  /** `dispose()`, for `using batch = ...` and `for await (using batch of ...)`. */
  [Symbol.dispose](): void;
}

/**
 * Wraps a batch's fields with its `dispose()`.
 *
 * @example
 *   const b = makeBatch({ images, labels, targets: null, labelList, indices, paths, epoch, index, skipped: 0 });
 */
export function makeBatch(fields: Omit<Batch, 'dispose' | typeof Symbol.dispose>): Batch {
  const dispose = () => {
    fields.images.dispose();
    fields.labels.dispose();
    fields.targets?.dispose();
  };
  return { ...fields, dispose, [Symbol.dispose]: dispose };
}
