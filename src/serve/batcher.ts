/**
 * Dynamic micro-batching: requests that arrive while the model is busy wait in a bounded
 * queue and run together as ONE forward pass — up to `maxBatch` items. A batch waits for
 * company only while admitted requests are still being decoded, and at most `maxWaitMs` after
 * its first item. On a CPU a batch of 8 costs much less than 8 single passes (the weights are
 * read once), so under load throughput rises, while the model never idles with work queued
 * and an idle server answers a lone request at once.
 *
 * Admission is counted from the moment a request asks for a place (`admit`), before its image
 * is decoded, so a burst cannot pile up decoded images beyond `maxQueue`: the excess is
 * refused at once (503 + Retry-After at the HTTP layer) instead of timing out later.
 *
 * @example
 *   const b = new MicroBatcher({ maxBatch: 8, maxWaitMs: 5, maxQueue: 32, run: (items) => clf.runBatch(items) });
 *   const ticket = b.admit();                 // throws QueueFullError when 32 are waiting
 *   const { result, queueMs } = await ticket.submit(item);
 */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(readonly retryAfterS: number) {
    super('the server is at capacity; retry shortly');
  }
}

export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
}

export interface BatcherOptions<I, O> {
  maxBatch: number;
  /**
   * The sizes a batch may run at (each 1 … maxBatch; default every size): a batch takes the
   * largest of them that the queue fills and leaves the rest queued, first in line for the
   * next batch. Every size the model meets costs it a kernel set (a few MiB on oneDNN), so a
   * server with fewer sizes holds less memory. Fewer waiting than the smallest size run as they are.
   */
  batchSizes?: readonly number[];
  maxWaitMs: number;
  /** Requests admitted but not yet in a running batch (decoding or queued). */
  maxQueue: number;
  /** One forward pass over a batch; results in the items' order (ONNX Runtime answers asynchronously). */
  run: (items: I[]) => O[] | Promise<O[]>;
  /** Called after each batch with its size and duration (metrics). */
  onBatch?: (size: number, ms: number) => void;
}

export interface BatchOutcome<O> {
  result: O;
  /** From submit to the start of the batch's forward pass. */
  queueMs: number;
  /** The batch's forward pass (shared by its items). */
  inferenceMs: number;
  batchSize: number;
}

interface Waiting<I, O> {
  item: I;
  enqueued: number;
  deadline: number;
  resolve: (o: BatchOutcome<O>) => void;
  reject: (e: unknown) => void;
}

/** A place in the queue, held from admission until submit (or release on an error). */
export interface Ticket<I, O> {
  submit(item: I, options?: { deadline?: number }): Promise<BatchOutcome<O>>;
  /** Gives the place back without submitting (the request failed before inference). */
  release(): void;
}

export class MicroBatcher<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private admitted = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastBatchMs = 50;
  private idleWaiters: (() => void)[] = [];
  /** The allowed batch sizes, largest first (empty: any size). */
  private readonly sizes: number[];

  constructor(private readonly options: BatcherOptions<I, O>) {
    if (!(options.maxBatch >= 1 && options.maxQueue >= 1 && options.maxWaitMs >= 0))
      throw new RangeError('MicroBatcher: maxBatch and maxQueue must be >= 1, maxWaitMs >= 0');
    const sizes = options.batchSizes ?? [];
    if (sizes.some((b) => !Number.isInteger(b) || b < 1 || b > options.maxBatch))
      throw new RangeError(`MicroBatcher: batchSizes must be integers 1 … maxBatch (${options.maxBatch}), got ${sizes.join(', ')}`);
    this.sizes = [...new Set(sizes)].sort((a, b) => b - a);
  }

  /** The largest allowed batch size that `n` waiting requests fill (n itself when none is allowed or n is below them all). */
  private sizeFor(n: number): number {
    if (!this.sizes.length) return n;
    return this.sizes.find((b) => b <= n) ?? n;
  }

  /** Requests admitted and not yet running (decoding or waiting for a batch). */
  get pending(): number {
    return this.admitted;
  }

  get busy(): boolean {
    return this.running;
  }

  /** A place in the queue, or a QueueFullError with a retry estimate (seconds). */
  admit(): Ticket<I, O> {
    if (this.admitted >= this.options.maxQueue) {
      const batchesAhead = Math.ceil(this.admitted / this.options.maxBatch);
      throw new QueueFullError(Math.max(1, Math.ceil((batchesAhead * this.lastBatchMs) / 1000)));
    }
    this.admitted++;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.admitted--;
      return true;
    };
    return {
      submit: (item, opts = {}) =>
        new Promise<BatchOutcome<O>>((resolve, reject) => {
          if (!open) throw new Error('ticket already used');
          open = false; // still counted in `admitted` until its batch starts
          this.queue.push({ item, enqueued: performance.now(), deadline: opts.deadline ?? Infinity, resolve, reject });
          this.schedule();
        }),
      release: () => {
        if (!close()) return;
        this.schedule(); // one fewer request to wait for
        this.notifyIdle();
      },
    };
  }

  /**
   * Starts the next batch at once when it is full, when no admitted request is still decoding
   * (none could join it: waiting would only idle the model), or when its oldest item has
   * waited `maxWaitMs`; otherwise waits for the decoding ones until then.
   */
  private schedule(): void {
    if (this.running || !this.queue.length) return;
    const decoding = this.admitted - this.queue.length;
    const waited = performance.now() - this.queue[0]!.enqueued;
    if (this.queue.length >= this.options.maxBatch || decoding <= 0 || waited >= this.options.maxWaitMs) {
      this.clearTimer();
      setImmediate(() => this.runNext());
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.runNext();
      }, this.options.maxWaitMs - waited);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private runNext(): void {
    void this.runBatch();
  }

  private async runBatch(): Promise<void> {
    if (this.running || !this.queue.length) return;
    this.clearTimer();
    const now = performance.now();
    const batch: Waiting<I, O>[] = [];
    while (this.queue.length && batch.length < this.options.maxBatch) {
      const w = this.queue.shift()!;
      this.admitted--;
      if (w.deadline <= now) w.reject(new RequestTimeoutError('timed out waiting for the model'));
      else batch.push(w);
    }
    // Back to the head of the queue, in order: what does not fill an allowed size.
    const rest = batch.splice(this.sizeFor(batch.length));
    if (rest.length) {
      this.queue.unshift(...rest);
      this.admitted += rest.length;
    }
    if (!batch.length) return this.afterBatch();
    this.running = true;
    const start = performance.now();
    let results: O[] | null = null;
    let error: unknown = null;
    try {
      const out = this.options.run(batch.map((w) => w.item));
      // A synchronous runner (libtorch) is not awaited, so its batch costs no extra tick.
      results = out instanceof Promise ? await out : out;
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} gave ${results.length} results`);
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - start;
    this.lastBatchMs = ms;
    this.running = false;
    this.options.onBatch?.(batch.length, ms);
    batch.forEach((w, i) => {
      if (error) w.reject(error);
      else w.resolve({ result: results![i]!, queueMs: start - w.enqueued, inferenceMs: ms, batchSize: batch.length });
    });
    this.afterBatch();
  }

  private afterBatch(): void {
    if (this.queue.length) this.schedule();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.running || this.queue.length || this.admitted) return;
    for (const f of this.idleWaiters.splice(0)) f();
  }

  /** Resolves when nothing is admitted, queued or running. */
  idle(): Promise<void> {
    if (!this.running && !this.queue.length && !this.admitted) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
