/**
 * The body of the inference thread that `loadLibtorchThread()` starts (a Node worker thread):
 * it loads the checkpoints into a `LibtorchModel` and answers the proxy's requests —
 * forward passes over micro-batches, attention overlays, warm-up, the ONNX export — one at a
 * time, in the order they arrive. The serving process's main thread runs no libtorch operation,
 * so its event loop keeps accepting, decoding and answering requests while a batch runs here.
 *
 * Protocol (structured-clone messages): workerData = { checkpoints, options, threads };
 * the thread posts { type: 'ready', info } or { type: 'failed', error } once; afterwards each
 * { id, op, args } gets { id, ok: true, value } or { id, ok: false, error }.
 */
import type { EnrollOptions } from '../enrollment/limits.js';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { faultPoint } from '../fault-points.js';
import { native } from '../native/binding.js';
import { capServingMemory } from '../native/serving-memory.js';
import { paceGarbageCollection } from '../runtime/gc-pacing.js';
import { setNumThreads, useAllCores } from '../runtime/settings.js';
import { loadLibtorchModel, type LibtorchModel, type LibtorchModelOptions } from './libtorch-model.js';
import type { BatchItem, BatchResult, DecodedImage } from './served-model.js';

/** What the proxy sends when it starts the thread. */
export interface LibtorchWorkerData {
  checkpoints: string[];
  options: Omit<LibtorchModelOptions, 'calibration'>;
  /** Intra-op threads of this thread's forward passes (OpenMP's setting is per thread). */
  threads?: number;
  /** Apply the serving glibc policy (native/serving-memory.ts) before the model loads. */
  servingMemory?: boolean;
  /** Minor garbage collections at most this often while batches run, ms (0: V8's schedule). */
  gcIntervalMs?: number;
}

/** The operations the thread answers, with their arguments. */
export interface LibtorchWorkerOps {
  runBatch: [items: BatchItem[]];
  renderAttention: [image: DecodedImage, result: BatchResult];
  warmUp: [batchSizes: number[], rounds: number];
  onnxModel: [];
  enroll: [name: string, images: DecodedImage[], options: EnrollOptions];
  removeClass: [name: string];
  claimLevel: [claim: string];
}

/** An error as it crosses the thread boundary (class name kept, so the proxy can rebuild it). */
export interface ThreadError {
  name: string;
  message: string;
  /** An EnrollmentError's code. */
  code?: string;
}

function asThreadError(e: unknown): ThreadError {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' && { code }) };
}

if (!parentPort) throw new Error('libtorch-worker.js runs as a worker thread (loadLibtorchThread starts it)');
const port: MessagePort = parentPort;
const data = workerData as LibtorchWorkerData;

let clf: LibtorchModel;
try {
  if (data.servingMemory) capServingMemory(native);
  // Every core unless told (libtorch's own default can be one thread).
  if (data.threads) setNumThreads(data.threads);
  else useAllCores();
  clf = await loadLibtorchModel(data.checkpoints, data.options);
  port.postMessage({ type: 'ready', info: clf.info });
} catch (e) {
  port.postMessage({ type: 'failed', error: asThreadError(e) });
  process.exit(1);
}

// Each batch's copies of the pixels are dead once it has run: collected on a pace.
const pacer = paceGarbageCollection(data.gcIntervalMs ?? 0);

type Message = { id: number; op: keyof LibtorchWorkerOps; args: unknown[] } | { op: 'dispose' };

// Every failure of an operation is caught and posted back as its answer, so the promise a
// message handler returns can never reject.
port.on('message', (msg: Message) => void answer(msg));

async function answer(msg: Message): Promise<void> {
  if (msg.op === 'dispose') {
    pacer.stop();
    clf.dispose();
    port.close();
    return;
  }
  const { id, op, args } = msg;
  pacer.noteWork();
  try {
    let value: unknown;
    let transfer: ArrayBuffer[] = [];
    if (op === 'runBatch') {
      faultPoint('inference-batch');
      value = clf.runBatch(args[0] as BatchItem[]);
    } else if (op === 'renderAttention') value = await clf.renderAttention(args[0] as DecodedImage, args[1] as BatchResult);
    else if (op === 'warmUp') value = clf.warmUp(args[0] as number[], args[1] as number);
    else if (op === 'onnxModel') {
      const file = await clf.onnxModel();
      // A copy to hand over: the classifier keeps its own for the next request.
      const bytes = file.bytes.slice();
      value = { bytes, sha256: file.sha256 };
      transfer = [bytes.buffer as ArrayBuffer];
    } else if (op === 'enroll') {
      const [name, images, options] = args as LibtorchWorkerOps['enroll'];
      value = { enrolled: clf.enroll(name, images, options), info: clf.info };
    } else if (op === 'claimLevel') value = clf.claimLevel(args[0] as string);
    else if (op === 'removeClass') {
      clf.removeClass(args[0] as string);
      value = clf.info;
    } else throw new Error(`unknown operation '${String(op)}'`);
    port.postMessage({ id, ok: true, value }, transfer);
  } catch (e) {
    port.postMessage({ id, ok: false, error: asThreadError(e) });
  }
}
