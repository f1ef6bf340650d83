/**
 * Progress of an epoch as the loader reports it: batches and images done, throughput,
 * files skipped so far, and an estimate of the time left.
 *
 * @example
 *   new DataLoader(ds, { batchSize: 32, transform, onProgress: (p) => console.log(formatProgress(p)) });
 */
export interface LoaderProgress {
  /** The epoch running (0-based). */
  epoch: number;
  /** Batches done in this epoch (1 after the first). */
  batch: number;
  /** Batches in this epoch. */
  batches: number;
  /** Images delivered in this epoch (skipped files not counted). */
  images: number;
  /** Images per second since the epoch started. */
  imagesPerSecond: number;
  /** Files skipped so far (all epochs). */
  skipped: number;
  /** Seconds since the epoch started. */
  elapsedSeconds: number;
  /** Estimated seconds until the epoch ends, from the mean time per batch so far. */
  etaSeconds: number;
}

/**
 * One line for a log: epoch, batches, images, speed, time left, skipped files.
 *
 * @example
 *   onProgress: (p) => console.log(formatProgress(p))
 */
export function formatProgress(p: LoaderProgress): string {
  const pct = p.batches ? Math.floor((100 * p.batch) / p.batches) : 100;
  const skipped = p.skipped ? `, ${p.skipped} skipped` : '';
  return `epoch ${p.epoch} ${p.batch}/${p.batches} (${pct}%) ${p.images} images, ${p.imagesPerSecond.toFixed(0)} img/s, eta ${p.etaSeconds.toFixed(0)}s${skipped}`;
}
