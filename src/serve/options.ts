/**
 * The server's settings (CLI flag --kebab-case ↔ key camelCase) and their defaults.
 * Batching defaults come from bench/serve (see bench/README.md): on the 2-core development
 * machine a batch of up to 8 with 4 ms of waiting keeps a lone request fast while a loaded
 * server runs most images in shared passes.
 */
export interface ServeOptions {
  /** The address to listen on (default 127.0.0.1; 0.0.0.0 exposes the server). */
  host: string;
  /** The port (default 8080; 0 picks a free one). */
  port: number;
  /** Images per forward pass at most. */
  maxBatch: number;
  /**
   * The sizes a forward pass runs at, each 1 … maxBatch: a batch takes the largest that the
   * queue fills, and warm-up runs each. Default (unset): maxBatch and the powers of two below
   * it (8, 4, 2, 1) — each size costs the model a kernel set of its own (bench/serve: sizes
   * 7, 6, 5 and 3 held ~15 MiB with no measurable gain in req/s).
   */
  batchSizes?: number[];
  /** How long a batch waits at most after its first image for requests still being decoded, ms (none decoding: no wait). */
  maxWaitMs: number;
  /** Requests admitted and waiting (decoding or queued) at most; beyond: 503 + Retry-After. */
  maxQueue: number;
  /** A request not answered in this time gets 504, ms. */
  requestTimeoutMs: number;
  /** Request bodies larger than this get 413, bytes. */
  bodyLimit: number;
  /** Images with more pixels (from the header, before decoding) get 413. */
  maxPixels: number;
  /** When set, /v1/* and /metrics need `Authorization: Bearer KEY` or `X-API-Key: KEY` (401). */
  apiKey?: string;
  /** A forward pass at each of the batch sizes before /readyz says ready. */
  warmUp: boolean;
  /** Serve the web page at / (default true). */
  web: boolean;
  /**
   * A minor garbage collection at most this often on each serving thread while it works, ms
   * (src/runtime/gc-pacing.ts: dead pixel buffers go back within it instead of piling up until
   * V8's own schedule); 0 leaves the schedule to V8.
   */
  gcIntervalMs: number;
}

/** The defaults `createServer` and `finegrain serve` start from. */
export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  host: '127.0.0.1',
  port: 8080,
  maxBatch: 8,
  maxWaitMs: 4,
  maxQueue: 64,
  requestTimeoutMs: 30_000,
  bodyLimit: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
  warmUp: true,
  web: true,
  gcIntervalMs: 50,
};

/**
 * The batch sizes a server runs at: `batchSizes` checked against `maxBatch`, or by default
 * maxBatch and the powers of two below it, largest first.
 *
 * @example
 *   servedBatchSizes({ maxBatch: 8 });                      // [8, 4, 2, 1]
 *   servedBatchSizes({ maxBatch: 6, batchSizes: [1, 3, 6] }); // [6, 3, 1]
 */
export function servedBatchSizes(options: Pick<ServeOptions, 'maxBatch' | 'batchSizes'>): number[] {
  const { maxBatch, batchSizes } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
  if (batchSizes === undefined) {
    const sizes = [maxBatch];
    for (let p = 2 ** Math.floor(Math.log2(maxBatch)); p >= 1; p /= 2) if (p < maxBatch) sizes.push(p);
    return sizes;
  }
  if (!batchSizes.length) throw new RangeError('batchSizes must name at least one size');
  for (const b of batchSizes)
    if (!Number.isInteger(b) || b < 1 || b > maxBatch) throw new RangeError(`batch sizes must be integers from 1 to maxBatch (${maxBatch}), got ${b}`);
  if (!batchSizes.includes(maxBatch)) throw new RangeError(`batch sizes must include maxBatch (${maxBatch}), the largest pass: got ${batchSizes.join(', ')}`);
  return [...new Set(batchSizes)].sort((a, b) => b - a);
}
