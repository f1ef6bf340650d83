/**
 * The libtorch classifier on its own thread: a `ServedModel` whose forward passes run in a
 * worker thread (libtorch-worker.ts), so the caller's event loop is never blocked by one.
 * `finegrain serve` uses it: while a micro-batch runs on the inference thread, the main thread
 * goes on parsing requests, decoding photos (sharp, on libuv's pool), judging their quality and
 * writing answers — work that would otherwise wait for the batch to finish, and that on a
 * small machine is a large share of each request. The main thread runs no libtorch operation.
 *
 * Answers are those of `loadLibtorchModel()` with the same options (the thread runs one); decoding
 * and the verification decision happen on the caller's thread with the same shared code.
 *
 * @example
 *   const clf = await loadLibtorchThread(['best.safetensors'], { precision: 'auto' }, { threads: 1 });
 *   const image = await clf.decode(bytes);
 *   const [r] = await clf.runBatch([{ image, topK: 3 }]);
 *   clf.dispose();
 */
import { EnrollmentError, type EnrollmentErrorCode } from '../enrollment/errors.js';
import type { EnrolledClassInfo } from '../enrollment/enrolled-classes.js';
import type { EnrollOptions } from '../enrollment/limits.js';
import { UsageError } from '../usage-error.js';
import { Worker } from 'node:worker_threads';
import { WORKER_RESOURCE_LIMITS } from './worker-limits.js';
import type { LibtorchModelInfo } from './libtorch-model.js';
import type { LibtorchWorkerData, LibtorchWorkerOps, ThreadError } from './libtorch-worker.js';
import type { ClassifierInput } from './input.js';
import { decodeServed, verificationAnswer } from './served-answers.js';
import {
  indexOfClass,
  NotAvailableError,
  type AttentionImages,
  type BatchItem,
  type BatchResult,
  type DecodedImage,
  type OnnxModelFile,
  type ServedModel,
  type VerificationAnswer,
} from './served-model.js';

export interface LibtorchThreadSettings {
  /** Intra-op threads of the forward passes (default: libtorch's, every core or OMP_NUM_THREADS). */
  threads?: number;
  /**
   * Apply the serving process's glibc policy from the thread (native/serving-memory.ts: two
   * malloc arenas, a fixed mmap threshold); `finegrain serve` does. Default false: a library
   * user's process keeps its own.
   */
  servingMemory?: boolean;
  /**
   * A minor garbage collection on the thread at most this often while it runs batches, ms
   * (runtime/gc-pacing.ts: each batch leaves its copies of the pixels dead outside V8's heap);
   * `finegrain serve` passes its `--gc-interval-ms`. Default 0: V8's own schedule.
   */
  gcIntervalMs?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Errors the routes tell apart keep their class across the thread boundary. */
function rebuild(e: ThreadError): Error {
  const err =
    e.name === 'NotAvailableError'
      ? new NotAvailableError(e.message)
      : e.name === 'EnrollmentError'
        ? new EnrollmentError(e.message, (e.code as EnrollmentErrorCode | undefined) ?? 'invalid')
        : e.name === 'UsageError' || e.name === 'HierarchyError' || e.name === 'UnknownClaimError'
          ? new UsageError(e.message)
          : new Error(e.message);
  err.name = e.name;
  return err;
}

export class LibtorchThreadModel implements ServedModel {
  private byName: Map<string, number>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | null = null;
  private failureListeners: ((error: Error) => void)[] = [];
  private onnxFile: Promise<OnnxModelFile> | null = null;

  /** @internal Use `loadLibtorchThread()`. */
  constructor(
    private readonly worker: Worker,
    private currentInfo: LibtorchModelInfo,
    private readonly maxPixels?: number,
  ) {
    this.byName = new Map(currentInfo.classes.map((c, i) => [c, i]));
    worker.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: ThreadError }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(rebuild(m.error!));
    });
    worker.on('error', (e) => this.fail(new Error(`the inference thread failed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`the inference thread exited (code ${code})`)));
  }

  /** The thread died on its own (not by dispose()): fail what is pending, then tell the listeners. */
  private fail(reason: Error): void {
    if (this.stopped) return;
    this.stop(reason);
    for (const f of this.failureListeners.splice(0)) f(reason);
  }

  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  private stop(reason: Error): void {
    if (this.stopped) return;
    this.stopped = reason;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
  }

  /** Sends an operation to the inference thread; it answers them in order. */
  private call<K extends keyof LibtorchWorkerOps>(op: K, args: LibtorchWorkerOps[K]): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  /** What is loaded and how it runs; follows enrollment (the thread sends it after each change). */
  get info(): LibtorchModelInfo {
    return this.currentInfo;
  }

  /** The class names in output order: trained, then enrolled. */
  get classes(): readonly string[] {
    return this.currentInfo.classes;
  }

  /** Enrolls on the inference thread (LibtorchModel.enroll); batches sent after it see the class. */
  async enroll(name: string, images: DecodedImage[], options: EnrollOptions = {}): Promise<EnrolledClassInfo> {
    const r = (await this.call('enroll', [name, images, options])) as { enrolled: EnrolledClassInfo; info: LibtorchModelInfo };
    this.setInfo(r.info);
    this.onnxFile = null; // exported for the old class set
    return r.enrolled;
  }

  /** Removes an enrolled class on the inference thread. */
  async removeClass(name: string): Promise<void> {
    this.setInfo((await this.call('removeClass', [name])) as LibtorchModelInfo);
    this.onnxFile = null;
  }

  enrolledClasses(): EnrolledClassInfo[] {
    return this.currentInfo.enrolled ?? [];
  }

  private setInfo(info: LibtorchModelInfo): void {
    this.currentInfo = info;
    this.byName = new Map(info.classes.map((c, i) => [c, i]));
  }

  /** The level a hierarchy claim names, asked of the inference thread (which holds the hierarchy). */
  async claimLevel(claim: string): Promise<string> {
    return (await this.call('claimLevel', [claim])) as string;
  }

  classIndex(label: string): number {
    return indexOfClass(label, this.byName, this.classes);
  }

  /** Decoded on this thread's libuv pool, with the model's preprocessing; quality judged here. */
  async decode(input: ClassifierInput, options: { label?: string } = {}): Promise<DecodedImage> {
    if (this.stopped) throw this.stopped;
    return decodeServed(input, this.info.preprocess, this.info.qualityThresholds, { maxPixels: this.maxPixels, label: options.label });
  }

  /** One forward pass on the inference thread; the images are copied to it. */
  runBatch(items: readonly BatchItem[]): Promise<BatchResult[]> {
    if (!items.length) return Promise.resolve([]);
    return this.call('runBatch', [[...items]]) as Promise<BatchResult[]>;
  }

  async renderAttention(image: DecodedImage, r: BatchResult): Promise<AttentionImages | undefined> {
    if (!r.attentionMaps) return undefined;
    return this.call('renderAttention', [image, r]) as Promise<AttentionImages | undefined>;
  }

  decideVerification(r: BatchResult): VerificationAnswer {
    return verificationAnswer(r, this.info.verificationThresholds);
  }

  async warmUp(batchSizes: readonly number[] = [1], rounds = 1): Promise<void> {
    await this.call('warmUp', [[...batchSizes], rounds]);
  }

  onnxModel(): Promise<OnnxModelFile> {
    this.onnxFile ??= this.call('onnxModel', []) as Promise<OnnxModelFile>;
    this.onnxFile.catch(() => (this.onnxFile = null)); // a failed export is retried on the next request
    return this.onnxFile;
  }

  dispose(): void {
    if (this.stopped) return;
    this.stop(new Error('classifier used after dispose()'));
    this.worker.postMessage({ op: 'dispose' });
    // The thread frees its tensors and closes its port; terminate() is the backstop.
    setTimeout(() => void this.worker.terminate(), 2000).unref();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Starts the inference thread and loads the checkpoints there, as `loadLibtorchModel()` would.
 * Rejects with the loader's message (and its error name: a UsageError stays one) when a
 * checkpoint cannot be served.
 *
 * Any number of these may run in one process, beside tensor work on the main thread: the
 * addon's handles, operator ids and deferred frees are per thread (native/src/shim.h).
 */
export function loadLibtorchThread(
  checkpoints: string | readonly string[],
  options: LibtorchWorkerData['options'] = {},
  settings: LibtorchThreadSettings = {},
): Promise<LibtorchThreadModel> {
  const data: LibtorchWorkerData = {
    checkpoints: typeof checkpoints === 'string' ? [checkpoints] : [...checkpoints],
    options,
    threads: settings.threads,
    servingMemory: settings.servingMemory ?? false,
    gcIntervalMs: settings.gcIntervalMs ?? 0,
  };
  const worker = new Worker(new URL('./libtorch-worker.js', import.meta.url), { workerData: data, resourceLimits: WORKER_RESOURCE_LIMITS });
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the inference thread exited (code ${code}) before the model loaded`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (m: { type: 'ready'; info: LibtorchModelInfo } | { type: 'failed'; error: ThreadError }) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (m.type === 'failed') {
        void worker.terminate();
        reject(rebuild(m.error));
      } else resolve(new LibtorchThreadModel(worker, m.info, options.maxPixels));
    });
  });
}
