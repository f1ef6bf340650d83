/**
 * PyTorch's element types as checkpoints name them: the storage classes (`torch.FloatStorage`,
 * what persistent ids carry) and the dtype objects (`torch.float16`, what `_rebuild_tensor_v3`
 * and optimizer states carry), each with its element size and the finegrain dtype it maps to.
 * Types finegrain has no tensors for (complex, quantized) keep their size, so a checkpoint
 * holding one still opens; only reading such a tensor fails.
 *
 * @example
 *   STORAGE_TYPES.get('HalfStorage'); // { dtype: 'float16', itemSize: 2 }
 */
import type { DType } from '../../tensor/dtype.js';

export interface ElementType {
  dtype?: DType;
  itemSize: number;
}

/** `torch.<Name>Storage` (also under `torch.cuda`, as pre-1.6 GPU checkpoints name them). */
export const STORAGE_TYPES: ReadonlyMap<string, ElementType> = new Map([
  ['DoubleStorage', { dtype: 'float64', itemSize: 8 }],
  ['FloatStorage', { dtype: 'float32', itemSize: 4 }],
  ['HalfStorage', { dtype: 'float16', itemSize: 2 }],
  ['BFloat16Storage', { dtype: 'bfloat16', itemSize: 2 }],
  ['LongStorage', { dtype: 'int64', itemSize: 8 }],
  ['IntStorage', { dtype: 'int32', itemSize: 4 }],
  ['ShortStorage', { dtype: 'int16', itemSize: 2 }],
  ['CharStorage', { dtype: 'int8', itemSize: 1 }],
  ['ByteStorage', { dtype: 'uint8', itemSize: 1 }],
  ['BoolStorage', { dtype: 'bool', itemSize: 1 }],
  // Untyped storages count bytes; _rebuild_tensor_v3 gives the tensor its dtype.
  ['UntypedStorage', { dtype: 'uint8', itemSize: 1 }],
  ['ComplexFloatStorage', { itemSize: 8 }],
  ['ComplexDoubleStorage', { itemSize: 16 }],
  ['QInt8Storage', { itemSize: 1 }],
  ['QUInt8Storage', { itemSize: 1 }],
  ['QInt32Storage', { itemSize: 4 }],
  ['QUInt4x2Storage', { itemSize: 1 }],
  ['QUInt2x4Storage', { itemSize: 1 }],
] as [string, ElementType][]);

/** `torch.<name>` dtype objects, under every alias PyTorch defines. */
export const TORCH_DTYPES: ReadonlyMap<string, ElementType> = new Map([
  ['float32', { dtype: 'float32', itemSize: 4 }],
  ['float', { dtype: 'float32', itemSize: 4 }],
  ['float64', { dtype: 'float64', itemSize: 8 }],
  ['double', { dtype: 'float64', itemSize: 8 }],
  ['float16', { dtype: 'float16', itemSize: 2 }],
  ['half', { dtype: 'float16', itemSize: 2 }],
  ['bfloat16', { dtype: 'bfloat16', itemSize: 2 }],
  ['int64', { dtype: 'int64', itemSize: 8 }],
  ['long', { dtype: 'int64', itemSize: 8 }],
  ['int32', { dtype: 'int32', itemSize: 4 }],
  ['int', { dtype: 'int32', itemSize: 4 }],
  ['int16', { dtype: 'int16', itemSize: 2 }],
  ['short', { dtype: 'int16', itemSize: 2 }],
  ['int8', { dtype: 'int8', itemSize: 1 }],
  ['uint8', { dtype: 'uint8', itemSize: 1 }],
  ['bool', { dtype: 'bool', itemSize: 1 }],
  ['complex64', { itemSize: 8 }],
  ['cfloat', { itemSize: 8 }],
  ['complex128', { itemSize: 16 }],
  ['cdouble', { itemSize: 16 }],
  ['complex32', { itemSize: 4 }],
  ['uint16', { itemSize: 2 }],
  ['uint32', { itemSize: 4 }],
  ['uint64', { itemSize: 8 }],
  ['float8_e4m3fn', { itemSize: 1 }],
  ['float8_e5m2', { itemSize: 1 }],
  ['qint8', { itemSize: 1 }],
  ['quint8', { itemSize: 1 }],
  ['qint32', { itemSize: 4 }],
] as [string, ElementType][]);
