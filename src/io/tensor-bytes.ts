/**
 * A tensor's bytes to and from files and JS memory, copied once and without a JS buffer
 * aliasing the tensor (`toTypedArrayView()` would keep the storage alive until the garbage
 * collector runs, so a loaded-then-disposed checkpoint would stay in memory). Tensors on
 * other devices or in other layouts are first copied to a contiguous CPU temporary, which is
 * freed at once.
 *
 * @example
 *   const t = empty([1024], { dtype: 'float32' });
 *   const n = preadTensor(t, fd, 4096);     // bytes 4096..8192 of the file into t
 */
import { native } from '../native/binding.js';
import { scope, type Tensor } from '../tensor/index.js';

/** Row-major bytes of `t` handed to `use` as a contiguous CPU tensor (a temporary if needed). */
function withContiguousCpu<T>(t: Tensor, use: (c: Tensor) => T): T {
  if (t.device === 'cpu' && t.isContiguous()) return use(t);
  return scope(() => use(t.detach().to({ device: 'cpu' }).contiguous()));
}

/**
 * Fills a contiguous CPU tensor from the file at `position`; returns the bytes read, fewer
 * than its size only at end of file.
 *
 * @example
 *   if (preadTensor(t, fd, offset) < t.byteSize) throw new Error('file truncated');
 */
export function preadTensor(t: Tensor, fd: number, position: number): number {
  // Large tensors are read in parallel pieces (a few threads of the addon): the page faults
  // of fresh memory, not the disk, bound a load from the page cache.
  if (t.byteSize > PARALLEL_BYTES) return native.tensorPreadMany([t.handle], fd, [position])[0]!;
  return native.tensorPread(t.handle, fd, position);
}

const PARALLEL_BYTES = 8 << 20;

/**
 * Fills many contiguous CPU tensors from one file in one call, each from its own position,
 * in 8 MiB pieces spread over up to four threads (as many as there are cores); returns the bytes read for each
 * (fewer than its size only at end of file).
 *
 * @example
 *   const got = preadTensors([a, b], fd, [0, a.byteSize]);
 *   if (got[1]! < b.byteSize) throw new Error('file truncated');
 */
export function preadTensors(ts: readonly Tensor[], fd: number, positions: readonly number[]): number[] {
  if (ts.length !== positions.length) throw new RangeError(`preadTensors: ${ts.length} tensors but ${positions.length} positions`);
  return native.tensorPreadMany(
    ts.map((t) => t.handle),
    fd,
    positions,
  );
}

/**
 * Writes the tensor's row-major bytes into the file at `position` (not moving the file offset).
 *
 * @example
 *   pwriteTensor(weights, fd, dataStart);
 */
export function pwriteTensor(t: Tensor, fd: number, position: number): void {
  withContiguousCpu(t, (c) => native.tensorPwrite(c.handle, fd, position));
}

/**
 * Copies the tensor's row-major bytes into `out`, which must be exactly `t.byteSize` long.
 *
 * @example
 *   const bytes = new Uint8Array(t.byteSize);
 *   copyTensorBytes(t, bytes);
 */
export function copyTensorBytes(t: Tensor, out: Uint8Array): void {
  withContiguousCpu(t, (c) => native.tensorCopyTo(c.handle, out));
}
