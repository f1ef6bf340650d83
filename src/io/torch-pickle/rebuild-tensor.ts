/**
 * `torch._utils._rebuild_tensor_v2` and `_v3` as data: a tensor is a strided view of a
 * storage (offset, size, stride, all in elements). Everything is checked here, before a byte
 * is read: sizes and strides are non-negative integers, the element count does not overflow,
 * and the furthest element the view reaches lies inside the storage. Shared storages (tied
 * weights, slices of one buffer) are simply several views of one StorageRef.
 *
 * @example
 *   const t = rebuildTensor(storage, 0, new PyTuple([64, 3, 7, 7]), new PyTuple([147, 49, 7, 1]), false, null);
 *   t.shape; // [64, 3, 7, 7]
 */
import { fail } from './error.js';
import { TORCH_DTYPES } from './storage-types.js';
import { brief, PyDict, PyTuple, StorageRef, TensorRef, TorchDtype, typeName, type PyValue } from './values.js';

function ints(v: PyValue | undefined, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : fail('BAD_TENSOR', `tensor ${what}: expected a tuple, got ${typeName(v)}`);
  if (items.length > 64) fail('BAD_TENSOR', `tensor ${what}: ${items.length} dimensions`);
  return items.map((x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) fail('BAD_TENSOR', `tensor ${what}: ${brief(x)} is not a non-negative integer`);
    return x;
  });
}

/**
 * The most elements a tensor may have when its storage has fewer. A tensor with stride 0
 * (`expand()`) or overlapping strides stores a few elements and stands for many more; it is read
 * as a contiguous copy, so without a bound a 1 KB file could ask for terabytes (an allocator
 * error), or for a little less than the machine has (and the OOM killer ends the process). Real
 * expanded tensors in checkpoints (masks, position ids) are far smaller than this.
 */
export const MAX_EXPANDED_ELEMENTS = 1 << 24;

/** The element one past the furthest the view touches (0 for an empty view). */
export function viewExtent(offset: number, shape: readonly number[], stride: readonly number[]): number {
  if (shape.some((s) => s === 0)) return 0;
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i]! - 1) * stride[i]!;
  return last + 1;
}

export function rebuildTensor(
  storage: PyValue | undefined,
  offset: PyValue | undefined,
  size: PyValue | undefined,
  stride: PyValue | undefined,
  requiresGrad: PyValue | undefined,
  hooks: PyValue,
): TensorRef {
  if (!(storage instanceof StorageRef)) return fail('BAD_TENSOR', `a tensor's storage is a ${typeName(storage)}`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    return fail('BAD_TENSOR', `tensor of storage ${storage.key}: offset ${brief(offset)}`);
  const shape = ints(size, `of storage ${storage.key}: size`);
  const strides = ints(stride, `of storage ${storage.key}: stride`);
  if (shape.length !== strides.length) fail('BAD_TENSOR', `tensor of storage ${storage.key}: ${shape.length} sizes but ${strides.length} strides`);
  let numel = 1;
  for (const s of shape) {
    numel *= s;
    if (!Number.isSafeInteger(numel)) fail('BAD_TENSOR', `tensor of storage ${storage.key}: size ${shape.join('x')} overflows`);
  }
  const extent = viewExtent(offset, shape, strides);
  if (!Number.isSafeInteger(extent) || extent > storage.numel)
    fail('BAD_TENSOR', `tensor ${shape.join('x')} at offset ${offset} reaches element ${extent} of storage ${storage.key}, which holds ${storage.numel}`);
  if (numel > storage.numel && numel > MAX_EXPANDED_ELEMENTS)
    fail(
      'LIMIT',
      `tensor ${shape.join('x')} of storage ${storage.key} has ${numel} elements but its storage only ${storage.numel}: an expanded tensor larger than ${MAX_EXPANDED_ELEMENTS} elements is not read`,
    );
  // Backward hooks cannot be restored without running code; PyTorch's weights_only refuses them too.
  if (hooks instanceof PyDict && hooks.entries.size > 0) fail('REFUSED', 'refused: a tensor with backward hooks is not allowed in a weights file');
  return new TensorRef(storage, offset, shape, strides, requiresGrad === true);
}

/** `_rebuild_tensor_v3`: an untyped (byte) storage viewed as `dtype`. */
export function rebuildTensorV3(
  storage: PyValue | undefined,
  offset: PyValue | undefined,
  size: PyValue | undefined,
  stride: PyValue | undefined,
  requiresGrad: PyValue | undefined,
  hooks: PyValue,
  dtype: PyValue | undefined,
): TensorRef {
  if (!(storage instanceof StorageRef)) return fail('BAD_TENSOR', `a tensor's storage is a ${typeName(storage)}`);
  if (!(dtype instanceof TorchDtype)) return fail('BAD_TENSOR', `_rebuild_tensor_v3 with dtype ${typeName(dtype)}`);
  const element = TORCH_DTYPES.get(dtype.name)!;
  const bytes = storage.numel * storage.itemSize;
  const typed = new StorageRef(storage.key, dtype.name, element.dtype, element.itemSize, Math.floor(bytes / element.itemSize));
  return rebuildTensor(typed, offset, size, stride, requiresGrad, hooks);
}
