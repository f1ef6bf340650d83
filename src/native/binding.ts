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

/** What the inference tensor cache holds now, and how it has served allocations (see `tensorCacheStats`). */
export interface TensorCacheStats {
  /** Holders now, across every thread of the process. */
  holders: number;
  /** The most bytes the cache keeps (`FINEGRAIN_TENSOR_CACHE_MIB`, default 1024 MiB; 0 turns it off). */
  limitBytes: number;
  /** Bytes paged in and free now: kept for the next blocks. */
  cachedBytes: number;
  /** How many free ranges those bytes form. */
  cachedBlocks: number;
  /** The arena's used extent: what it holds resident, live blocks and free ranges together. */
  residentBytes: number;
  /** Bytes of blocks handed out and not yet freed. */
  liveBytes: number;
  /** The most bytes live at once since the process started: what a pass needs. */
  peakLiveBytes: number;
  /** Blocks served from memory already paged in, since the process started. */
  hits: number;
  /** Blocks, while the cache was held, that grew the arena (fresh pages) or, over its limit, came from the system. */
  misses: number;
}

export interface NativeBinding {
  // dispatch.cc: every ATen operator, by schema
  op(name: string, overload: string | null): OpId;
  /** The operator's result: a handle, number, boolean, null, or an array of them (aten-ops.generated.ts types each). */
  call(op: OpId, ...args: unknown[]): unknown;
  callVoid(op: OpId, ...args: unknown[]): void;
  schema(op: OpId): string;
  /** Every registered operator's schema text, sorted (scripts/generate-aten-types.mjs reads them). */
  schemas(): string[];
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
  /** The tensor's version counter (bumped by every in-place operation). */
  version(h: Handle): number;
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
  mallopt(name: 'mmapMax' | 'trimThreshold' | 'mmapThreshold' | 'arenaMax', value: number): boolean | null;
  /** glibc's malloc_trim(0); null when the C library is not glibc. */
  mallocTrim(): boolean | null;
  // tensor-cache.cc: inference's cache of freed CPU tensor blocks
  tensorCacheAcquire(limitBytes: number): void;
  tensorCacheRelease(): void;
  tensorCacheStats(): TensorCacheStats;
  // onednn-conv.cc: inference convolutions as oneDNN plans (weights in the kernel's layout, activation fused)
  /** False when the addon was built without oneDNN (the other convPlan calls then throw). */
  convPlanAvailable(): boolean;
  convPlanCreate(
    weight: Handle,
    bias: Handle | null,
    stride: number[],
    paddingLeft: number[],
    paddingRight: number[],
    dilation: number[],
    groups: number,
    postOp: 'none' | 'relu' | 'clip' | 'swish' | 'hardswish',
    alpha: number,
    beta: number,
  ): object;
  /** A new channels-last tensor in the weights' dtype. */
  convPlanRun(plan: object, x: Handle): Handle;
  convPlanDispose(plan: object): void;
  /** Input shapes planned so far, the bytes of reordered weights held, and whether the layer's own weight tensor is still held. */
  convPlanInfo(plan: object): { variants: number; weightBytes: number; holdsLayerWeight: boolean; scratchpadBytes: number };
  /** Drops the plan's reference to the layer's weight, keeping only its reordered copy (the plan must have run). */
  convPlanReleaseWeight(plan: object): void;
  /** The layer's weight: the tensor itself while held, else rebuilt (contiguous) from the reordered copy. */
  convPlanWeight(plan: object): Handle;
  // distributed.cc: c10d process groups (the handles are opaque externals)
  distAvailable(): { gloo: boolean; nccl: boolean };
  distInit(backend: string, store: 'tcp' | 'file', hostOrPath: string, port: number, rank: number, worldSize: number, timeoutMs: number): Promise<object>;
  distDestroy(group: object): void;
  distDuplicate(group: object, index: number): Promise<object>;
  distAllReduce(group: object, tensors: Handle[], op: string): Promise<void>;
  distBroadcast(group: object, tensors: Handle[], root: number): Promise<void>;
  distAllGather(group: object, tensor: Handle): Promise<Handle[]>;
  distBarrier(group: object): Promise<void>;
  /** Blocking and differentiable: the sum over ranks (its backward sums the gradients too). */
  distSumOverRanks(group: object, t: Handle): Handle;
  distReducer(group: object, params: Handle[], bucketBytes: number, firstBucketBytes: number, gradientAsBucketView: boolean, compression: string): object;
  distReducerPrepare(reducer: object, outputs: Handle[]): void;
  distReducerBucketSizes(reducer: object): number[];
  distReducerDispose(reducer: object): void;
  buildInfo(): { torchVersion: string; mkldnn: boolean; cuda: boolean; config: string; parallel: string };
  // io.cc: bytes between a contiguous CPU tensor and a file descriptor or JS memory
  /** Fills the tensor from `fd` at `position`; returns the bytes read (fewer only at end of file). */
  tensorPread(h: Handle, fd: number, position: number): number;
  /** Fills each tensor from the file at its position, in parallel pieces; bytes read per tensor. */
  tensorPreadMany(hs: readonly Handle[], fd: number, positions: readonly number[]): number[];
  /** Writes the tensor's bytes to `fd` at `position`; returns the bytes written (all of them). */
  tensorPwrite(h: Handle, fd: number, position: number): number;
  /** Copies the tensor's bytes into `out`, which must be exactly as long. */
  tensorCopyTo(h: Handle, out: Uint8Array): void;
  // image.cc: uint8 image kernels for src/data; x and out are contiguous CPU uint8 [N, C, H, W]
  // tensors, `images` (indices into N, or null for all) selects the images a kernel touches.
  /** Bilinear crop-resize of HWC RGB images into out [N, 3, oh, ow] by precomputed taps (src/data/transforms/resample.ts). */
  resampleBilinearU8(
    images: readonly Uint8Array[],
    widths: Int32Array,
    rowIdx: Int32Array,
    rowW: Float32Array,
    colIdx: Int32Array,
    colW: Float32Array,
    out: Handle,
  ): void;
  /** One 256-bin histogram per plane: N*C*256 counts (zero for planes of images not listed). */
  histogramU8(x: Handle, images: Int32Array | null): Int32Array;
  /** out[n,c,i,j] = lut[(n*C + c)*256 + x[n,c,i,j]]; out may be x. */
  lookupU8(x: Handle, lut: Uint8Array, out: Handle, images: Int32Array | null): void;
  /** torchvision's rgb_to_grayscale of each listed image into out [K, 1, H, W]. */
  grayscaleU8(x: Handle, out: Handle, images: Int32Array | null): void;
  /** torchvision's _blend, trunc(clamp(ratio * x + rest * other)), per listed image into out[images[k]]. */
  blendU8(x: Handle, other: Handle, ratio: Float32Array, rest: Float32Array, out: Handle, images: Int32Array | null): void;
  /** adjust_sharpness's smoothed ("degenerate") image of each listed image into out [K, C, H, W]. */
  smoothU8(x: Handle, out: Handle, images: Int32Array | null): void;
  /** torchvision's nearest affine warp per listed image (theta: 6 floats per image, fill: C floats or null). */
  warpAffineNearestU8(x: Handle, theta: Float32Array, fill: Float32Array | null, out: Handle, images: Int32Array | null): void;
  /** ToTensor + Normalize in one pass into a float32 [N, C, H, W] `out`. */
  normalizeU8(x: Handle, mean: Float32Array, std: Float32Array, out: Handle): void;
  /** out[images[k]] = x[images[k]]. */
  copyImagesU8(x: Handle, out: Handle, images: Int32Array | null): void;
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
    // Named UsageError (the class lives in a layer this one may not import): the CLI prints
    // this one line, with no stack.
    throw Object.assign(
      new Error(
        `finegrain's native addon is not built (${path} is missing): run \`npx finegrain setup\` (it finds or installs libtorch, then builds the addon; npm 11 skips a dependency's install step unless it is approved: \`npm install-scripts approve finegrain\`)`,
      ),
      { name: 'UsageError' },
    );
  }
  chooseOpenblasCore(); // before libtorch (and the BLAS under it) loads
  return createRequire(import.meta.url)(path) as NativeBinding;
}

/** The loaded native addon. */
export const native: NativeBinding = load();
