/**
 * The data loader: seeded sampling, parallel decoding, batch transforms, prefetching, and
 * a report of every file it had to skip. An async iterator over batches:
 *
 * - Decoding runs on libuv's thread pool (sharp), queued a whole `prefetch` of batches
 *   ahead, so decoding goes on while the training step holds the JS thread; each batch's
 *   tensors are built (pipeline.run, milliseconds) as soon as its images are in.
 * - Every random choice derives from (seed, epoch, position in the epoch): results do not
 *   depend on which decode finished first or on `prefetch`.
 * - A file that fails to decode is skipped with its reason (once in the report, and not
 *   retried in later epochs); its batch comes out smaller. A batch with no readable image
 *   is left out. The loader never throws because of a file.
 *
 * @example
 *   const loader = new DataLoader(train, { batchSize: 32, shuffle: true, seed: 0,
 *     transform: compose([randomResizedCrop(224), randomHorizontalFlip(), autoAugment(), normalize()]) });
 *   for (let epoch = 0; epoch < 10; epoch++) {
 *     for await (const batch of loader.epoch(epoch)) {
 *       scope(() => trainStep(batch.images, batch.labels));
 *       batch.dispose();
 *     }
 *   }
 *   console.log(loader.report().summary());
 */
import { fromTypedArray, type Tensor } from '../../tensor/index.js';
import type { ImageDataset } from '../datasets/dataset.js';
import { decodeImage, ImageDecodeError, type DecodeOptions } from '../decode/decode-image.js';
import type { BatchMixer } from '../augment/mix.js';
import type { RgbImage } from '../image.js';
import { Rng } from '../random.js';
import { SkipReport } from '../skip-report.js';
import type { Pipeline } from '../transforms/compose.js';
import type { SampleContext } from '../transforms/transform.js';
import { makeBatch, type Batch } from './batch.js';
import type { LoaderProgress } from './progress.js';
import { randomSampler, sequentialSampler, type Sampler } from './sampler.js';

/** Options of `DataLoader`. */
export interface DataLoaderOptions {
  /** Images per batch (the last batch of an epoch may be smaller unless `dropLast`). */
  batchSize: number;
  /** The per-image transforms and normalisation, as `compose([...])` builds them. */
  transform: Pipeline;
  /** Seeded reshuffle every epoch (ignored when `sampler` is given). */
  shuffle?: boolean;
  /**
   * The order of samples per epoch (e.g. `classBalancedSampler`); default: sequential, or a seeded
   * shuffle with `shuffle`.
   */
  sampler?: Sampler;
  /**
   * Seed of every random choice (shuffle, augmentation, mixing), combined with the epoch and the
   * position (default 0): a run repeats exactly.
   */
  seed?: number;
  /** Leave out a last, smaller batch. */
  dropLast?: boolean;
  /** Batches decoded ahead of the one being consumed (default 2). */
  prefetch?: number;
  /** How images are decoded (pixel limit, shrink-on-load, background for transparency). */
  decode?: DecodeOptions;
  /** Mixup/CutMix: batches then carry soft `targets`. */
  mix?: BatchMixer;
  /** Classes for soft targets (default: the dataset's class count). */
  numClasses?: number;
  /** Called after each batch of an epoch with the progress so far (see `formatProgress`). */
  onProgress?: (p: LoaderProgress) => void;
}

/**
 * Batches of a dataset through a transform pipeline, prefetched and seeded (see above).
 *
 * @example
 *   for await (const batch of new DataLoader(ds, { batchSize: 32, transform }).epoch(0)) batch.dispose();
 */
export class DataLoader {
  /** The dataset the batches come from. */
  readonly dataset: ImageDataset;
  /** The options the loader was made with. */
  readonly options: Readonly<DataLoaderOptions>;
  private readonly sampler: Sampler;
  private readonly decodeSkips = new SkipReport();
  private readonly bad = new Set<string>();
  private nextEpoch = 0;

  constructor(dataset: ImageDataset, options: DataLoaderOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    this.dataset = dataset;
    this.options = options;
    const n = dataset.samples.length;
    this.sampler = options.sampler ?? (options.shuffle ? randomSampler(n, options.seed ?? 0) : sequentialSampler(n));
  }

  /** Batches in one epoch (before any batch is lost to unreadable files). */
  batchesPerEpoch(): number {
    const n = this.sampler.indices(0).length;
    const b = this.options.batchSize;
    return this.options.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** Everything left out so far: the dataset's listing report plus decode failures. */
  report(): SkipReport {
    return new SkipReport().merge(this.dataset.skipped).merge(this.decodeSkips);
  }

  /** Decode failures only. */
  get decodeFailures(): SkipReport {
    return this.decodeSkips;
  }

  /** The batches of one epoch. */
  epoch(epoch: number): AsyncIterableIterator<Batch> {
    this.nextEpoch = epoch + 1;
    return new EpochIterator(this, epoch, this.sampler.indices(epoch));
  }

  /** Iterating the loader itself runs the next epoch (0, 1, 2, ...). */
  [Symbol.asyncIterator](): AsyncIterableIterator<Batch> {
    return this.epoch(this.nextEpoch);
  }

  /** @internal Decodes one sample; null (and a report entry) when it cannot be used. */
  async decodeSample(index: number): Promise<RgbImage | null> {
    const path = this.dataset.samples[index]!.path;
    if (this.bad.has(path)) return null;
    try {
      return await decodeImage(path, this.options.decode);
    } catch (caught) {
      const e = caught as NodeJS.ErrnoException | null;
      if (!this.bad.has(path)) {
        this.bad.add(path);
        if (e instanceof ImageDecodeError) this.decodeSkips.add(path, e.reason, e.message);
        else this.decodeSkips.add(path, 'corrupt', String(e?.message ?? e));
      }
      return null;
    }
  }

  /** @internal Builds the tensors of batch `k` of an epoch from its decoded images. */
  assemble(epoch: number, k: number, indices: number[], decoded: (RgbImage | null)[]): Batch | null {
    const keep = decoded.flatMap((im, pos) => (im ? [pos] : []));
    if (!keep.length) return null;
    const { batchSize, seed = 0, transform, mix } = this.options;
    const samples = keep.map((pos) => this.dataset.samples[indices[pos]!]!);
    const ctxs: SampleContext[] = keep.map((pos, j) => ({ rng: Rng.derive(seed, 'sample', epoch, k * batchSize + pos), sample: samples[j] }));
    let images: Tensor = transform.run(
      keep.map((pos) => decoded[pos]!),
      ctxs,
    );
    const labelList = samples.map((s) => s.label);
    let targets: Tensor | null = null;
    if (mix) {
      const numClasses = this.options.numClasses ?? this.dataset.classes.length;
      const mixed = mix.apply(images, labelList, numClasses, Rng.derive(seed, 'mix', epoch, k));
      images.dispose();
      images = mixed.images;
      targets = mixed.targets;
    }
    const labels = fromTypedArray(BigInt64Array.from(labelList, BigInt), [labelList.length]);
    // No scope owns them (they were made between awaits): the batch does.
    for (const t of [images, labels, targets]) t?.keep();
    return makeBatch({
      images,
      labels,
      targets,
      labelList,
      indices: keep.map((pos) => indices[pos]!),
      paths: samples.map((s) => s.path),
      epoch,
      index: k,
      skipped: decoded.length - keep.length,
    });
  }
}

class EpochIterator implements AsyncIterableIterator<Batch> {
  private readonly chunks: number[][] = [];
  private readonly jobs: (Promise<Batch | null> | undefined)[] = [];
  private next_ = 0;
  private cancelled = false;
  private images = 0;
  private readonly started = performance.now();

  constructor(
    private readonly loader: DataLoader,
    private readonly epochIndex: number,
    order: number[],
  ) {
    const b = loader.options.batchSize;
    for (let i = 0; i < order.length; i += b) {
      const chunk = order.slice(i, i + b);
      if (chunk.length === b || !loader.options.dropLast) this.chunks.push(chunk);
    }
  }

  private start(k: number): void {
    if (k >= this.chunks.length || this.jobs[k]) return;
    const indices = this.chunks[k]!;
    // All decodes of the batch are queued now; libuv runs them in order on its pool.
    const decodes = indices.map((i) => this.loader.decodeSample(i));
    const job = Promise.all(decodes).then((decoded) => (this.cancelled ? null : this.loader.assemble(this.epochIndex, k, indices, decoded)));
    // A prefetched batch may fail before anyone awaits it; mark it handled so Node does not
    // abort on an "unhandled rejection" (next() still sees the error when it gets there).
    job.catch(() => undefined);
    this.jobs[k] = job;
  }

  async next(): Promise<IteratorResult<Batch>> {
    const prefetch = Math.max(0, this.loader.options.prefetch ?? 2);
    while (!this.cancelled && this.next_ < this.chunks.length) {
      const k = this.next_++;
      for (let j = k; j <= k + prefetch; j++) this.start(j);
      const batch = await this.jobs[k]!;
      this.jobs[k] = undefined;
      if (!batch) continue;
      if (this.cancelled) {
        batch.dispose();
        break;
      }
      this.images += batch.labelList.length;
      this.progress(k + 1);
      return { value: batch, done: false };
    }
    return { value: undefined, done: true };
  }

  private progress(done: number): void {
    const cb = this.loader.options.onProgress;
    if (!cb) return;
    const elapsed = (performance.now() - this.started) / 1000;
    const total = this.chunks.length;
    cb({
      epoch: this.epochIndex,
      batch: done,
      batches: total,
      images: this.images,
      imagesPerSecond: elapsed > 0 ? this.images / elapsed : 0,
      skipped: this.loader.decodeFailures.count,
      elapsedSeconds: elapsed,
      etaSeconds: done ? (elapsed / done) * (total - done) : 0,
    });
  }

  /** Stopping early (break) frees the batches already prefetched. */
  async return(): Promise<IteratorResult<Batch>> {
    this.cancelled = true;
    const pending = this.jobs.filter((j): j is Promise<Batch | null> => !!j);
    this.jobs.length = 0;
    await Promise.all(
      pending.map((j) =>
        j.then(
          (b) => b?.dispose(),
          () => undefined,
        ),
      ),
    );
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Batch> {
    return this;
  }
}
