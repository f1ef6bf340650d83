/**
 * The raw native addon (native/src/*.cc): a thin shim over libtorch. Nothing here has policy;
 * use the typed `Tensor` API instead. Handles are numbers into the addon's slot table.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { chooseOpenblasCore } from './openblas-core.js';

/** A tensor handle: (generation << 24) | slot in the native slot table. */
export type Handle = number;

/** An operator id returned by `op()`. */
export type OpId = number;

export interface NativeBinding {
  // dispatch.cc: every ATen operator, by schema
  op(name: string, overload: string | null): OpId;
  call(op: OpId, ...args: unknown[]): any;
  callVoid(op: OpId, ...args: unknown[]): void;
  schema(op: OpId): string;
  // fast.cc: tensor-tensor add, sub, mul, div without the generic call's boxing
  add(a: Handle, b: Handle): Handle;
  sub(a: Handle, b: Handle): Handle;
  mul(a: Handle, b: Handle): Handle;
  div(a: Handle, b: Handle): Handle;
  /** Registers the list dispose() defers frees into: element 0 is the count, then handles. */
  setPendingFrees(list: Float64Array): void;
  /** Frees what dispose() deferred now (every native call does this first anyway). */
  flushFrees(): void;
  // tensor.cc
  dispose(h: Handle | Handle[]): boolean | undefined;
  isDisposed(h: Handle): boolean;
  liveTensors(): number;
  shape(h: Handle): number[];
  strides(h: Handle): number[];
  dim(h: Handle): number;
  numel(h: Handle): number;
  dtype(h: Handle): number;
  device(h: Handle): string;
  isContiguous(h: Handle, memoryFormat?: number): boolean;
  item(h: Handle): number | boolean;
  storageId(h: Handle): number;
  fromBuffer(data: ArrayBufferView | ArrayBuffer, shape: readonly number[], dtype: number): Handle;
  toBuffer(h: Handle, copy?: boolean): ArrayBuffer;
  writeFromBuffer(h: Handle, bytes: Uint8Array): void;
  // autograd.cc
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, on: boolean): void;
  isLeaf(h: Handle): boolean;
  retainGrad(h: Handle): void;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  backward(outputs: Handle[], gradOutputs: (Handle | null)[] | null, retainGraph?: boolean | null, createGraph?: boolean | null): void;
  gradOf(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: (Handle | null)[] | null,
    retainGraph?: boolean | null,
    createGraph?: boolean | null,
    allowUnused?: boolean | null,
  ): (Handle | null)[];
  gradEnabled(): boolean;
  setGradEnabled(on: boolean): boolean;
  autocastState(deviceType: string): [boolean, number];
  autocastEnter(deviceType: string, enabled: boolean, dtype: number): void;
  autocastExit(deviceType: string, enabled: boolean, dtype: number): void;
  // runtime.cc
  manualSeed(seed: number | bigint): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setNumInteropThreads(n: number): void;
  cudaDeviceCount(): number;
  cudaSynchronize(device?: number | null): void;
  /** glibc's mallopt for one named parameter; null when the C library is not glibc. */
  mallopt(name: 'mmapMax' | 'trimThreshold', value: number): boolean | null;
  /** glibc's malloc_trim(0); null when the C library is not glibc. */
  mallocTrim(): boolean | null;
  // distributed.cc: c10d process groups (the handles are opaque externals)
  distAvailable(): { gloo: boolean; nccl: boolean };
  distInit(backend: string, store: 'tcp' | 'file', hostOrPath: string, port: number, rank: number, worldSize: number, timeoutMs: number): Promise<object>;
  distDestroy(group: object): void;
  distAllReduce(group: object, tensors: Handle[], op: string): Promise<void>;
  distBroadcast(group: object, tensors: Handle[], root: number): Promise<void>;
  distAllGather(group: object, tensor: Handle): Promise<Handle[]>;
  distBarrier(group: object): Promise<void>;
  distReducer(group: object, params: Handle[], bucketBytes: number, firstBucketBytes: number): object;
  distReducerPrepare(reducer: object, outputs: Handle[]): void;
  distReducerBucketSizes(reducer: object): number[];
  distReducerDispose(reducer: object): void;
  buildInfo(): { torchVersion: string; mkldnn: boolean; cuda: boolean; config: string; parallel: string };
  [extra: string]: any;
}

function locate(): string {
  if (process.env.FINEGRAIN_NATIVE) return process.env.FINEGRAIN_NATIVE;
  // build/src/native/binding.js -> build/native/finegrain.node
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '../../native/finegrain.node');
}

function load(): NativeBinding {
  const path = locate();
  if (!existsSync(path)) {
    throw new Error(`finegrain's native addon is not built (${path} is missing). Run \`npm run setup\` (or \`node scripts/build-native.mjs\`).`);
  }
  chooseOpenblasCore(); // before libtorch (and the BLAS under it) loads
  return createRequire(import.meta.url)(path) as NativeBinding;
}

/** The loaded native addon. */
export const native: NativeBinding = load();
