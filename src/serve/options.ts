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
  /** Forward passes at batch sizes 1..maxBatch before /readyz says ready. */
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
