/**
 * safetensors dtype names: their element widths, their place in the reference writer's
 * ordering, and the finegrain dtype each maps to (none for the ones libtorch 1.13 lacks).
 *
 * @example
 *   stDtypeOf('bfloat16');          // 'BF16'
 *   ST_DTYPES.get('F16')?.dtype;    // 'float16'
 */
import type { DType } from '../../tensor/dtype.js';

export interface StDtype {
  /** Bits per element (4 and 6 for the microscaling float formats). */
  bits: number;
  /**
   * The position in the reference implementation's `Dtype` enum, which is ordered by
   * alignment; its writer puts tensors of higher rank first, so every tensor starts aligned.
   */
  rank: number;
  /** The finegrain dtype, or undefined where finegrain has none. */
  dtype?: DType;
}

// In the reference crate's enum order (safetensors/src/tensor.rs), which is its alignment order.
const TABLE: [string, number, DType?][] = [
  ['BOOL', 8, 'bool'],
  ['F4', 4],
  ['F6_E2M3', 6],
  ['F6_E3M2', 6],
  ['U8', 8, 'uint8'],
  ['I8', 8, 'int8'],
  ['F8_E5M2', 8],
  ['F8_E4M3', 8],
  ['F8_E8M0', 8],
  ['F8_E4M3FNUZ', 8],
  ['F8_E5M2FNUZ', 8],
  ['I16', 16, 'int16'],
  ['U16', 16],
  ['F16', 16, 'float16'],
  ['BF16', 16, 'bfloat16'],
  ['I32', 32, 'int32'],
  ['U32', 32],
  ['F32', 32, 'float32'],
  ['C64', 64],
  ['F64', 64, 'float64'],
  ['I64', 64, 'int64'],
  ['U64', 64],
];

/** Every dtype name the format defines. A Map, so that a hostile name like `__proto__` finds nothing. */
export const ST_DTYPES: ReadonlyMap<string, StDtype> = new Map(
  TABLE.map(([name, bits, dtype], rank) => [name, dtype ? { bits, rank, dtype } : { bits, rank }]),
);

const BY_FINEGRAIN = new Map<DType, string>(TABLE.filter((r) => r[2]).map((r) => [r[2]!, r[0]]));

/** The safetensors name of a finegrain dtype. */
export function stDtypeOf(dtype: DType): string {
  const name = BY_FINEGRAIN.get(dtype);
  if (!name) throw new TypeError(`no safetensors dtype for '${dtype}'`);
  return name;
}
