/**
 * The photo-quality measures (src/open-world/quality.ts, ~3.5 ms a served photo on a 2-core
 * AMD EPYC) run on a worker thread of their own, so the event loop that accepts requests and
 * hands batches to the model never waits for them — on the main thread they cut bench/serve's
 * throughput by a fifth. One worker, started on first use; it holds the process open only
 * while an answer is pending, so a script that classifies one photo still exits.
 *
 * @example
 *   const report = await assessQualityOffThread(image, DEFAULT_QUALITY_THRESHOLDS);
 */
import { Worker } from 'node:worker_threads';
import { WORKER_RESOURCE_LIMITS } from './worker-limits.js';
import { DEFAULT_QUALITY_THRESHOLDS, type QualityReport, type QualityThresholds, type RawImage } from '../open-world/quality.js';

type Pending = { resolve: (r: QualityReport) => void; reject: (e: Error) => void };

let worker: Worker | null = null;
let gcIntervalMs = 0;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  worker = null;
}

function start(): Worker {
  const w = new Worker(new URL('./quality-worker.js', import.meta.url), { resourceLimits: WORKER_RESOURCE_LIMITS, workerData: { gcIntervalMs } });
  w.unref();
  w.on('message', (m: { id: number; report?: QualityReport; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (m.report) p.resolve(m.report);
    else p.reject(new RangeError(m.error ?? 'quality measures failed'));
  });
  w.on('error', (e) => failAll(e instanceof Error ? e : new Error(String(e))));
  w.on('exit', (code) => {
    if (worker === w) failAll(new Error(`the quality thread exited (code ${code})`));
  });
  return w;
}

/**
 * Paces the quality thread's minor garbage collections (runtime/gc-pacing.ts; 0, the default,
 * leaves them to V8): each photo leaves its copy and the measures' scratch arrays, ~1 MiB
 * outside V8's heap, dead behind a few bytes of objects. `createServer` sets its
 * `gcIntervalMs`; a thread already running takes the new interval at once.
 *
 * @example
 *   setQualityThreadGcInterval(50);
 */
export function setQualityThreadGcInterval(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`gcIntervalMs must be a number of ms >= 0, got ${ms}`);
  gcIntervalMs = ms;
  worker?.postMessage({ gcIntervalMs: ms });
}

/**
 * assessQuality(image, thresholds) on the quality thread. The pixels are copied and `image`
 * stays usable, unless `owned` says the caller gives them away: a buffer of their own then moves
 * to the thread without a copy (and is unusable here after the call).
 */
export function assessQualityOffThread(image: RawImage, thresholds: QualityThresholds, options: { owned?: boolean } = {}): Promise<QualityReport> {
  worker ??= start();
  const w = worker;
  const id = nextId++;
  const whole = image.data.byteOffset === 0 && image.data.byteLength === image.data.buffer.byteLength && image.data.buffer instanceof ArrayBuffer;
  const data = options.owned && whole ? image.data : image.data.slice();
  const buffer = data.buffer as ArrayBuffer; // `whole` ruled out a SharedArrayBuffer; slice() makes an ArrayBuffer
  return new Promise<QualityReport>((resolve, reject) => {
    if (pending.size === 0) w.ref();
    pending.set(id, { resolve, reject });
    w.postMessage({ id, image: { data, width: image.width, height: image.height, channels: image.channels }, thresholds }, [buffer]);
  });
}

/**
 * Starts the quality thread and measures one blank photo on it, so a server's first request
 * does not wait for the thread to boot (its isolate and the measures' code) and the memory it
 * holds is there before the server says ready. `createServer`'s warm-up calls it.
 *
 * @example
 *   await warmUpQualityThread();
 */
export async function warmUpQualityThread(): Promise<void> {
  const side = 64;
  await assessQualityOffThread({ data: new Uint8Array(side * side * 3).fill(128), width: side, height: side, channels: 3 }, DEFAULT_QUALITY_THRESHOLDS, {
    owned: true,
  });
}
