/**
 * Element types. The numeric codes are libtorch's `c10::ScalarType` values, stable across
 * libtorch versions.
 */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'bool';

const CODES: Record<DType, number> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};
const NAMES = new Map<number, DType>(Object.entries(CODES).map(([k, v]) => [v, k as DType]));

/** Bytes per element. */
export const ITEM_SIZE: Record<DType, number> = {
  uint8: 1,
  int8: 1,
  bool: 1,
  int16: 2,
  float16: 2,
  bfloat16: 2,
  int32: 4,
  float32: 4,
  int64: 8,
  float64: 8,
};

/**
 * libtorch's numeric code (`c10::ScalarType`) of a dtype, as the native layer takes it; throws a
 * TypeError for an unknown name.
 */
export function dtypeCode(d: DType): number {
  const code = CODES[d];
  if (code === undefined) throw new TypeError(`unknown dtype '${d}'; expected one of ${Object.keys(CODES).join(', ')}`);
  return code;
}

/**
 * The dtype whose libtorch code (`c10::ScalarType`) is `code`; throws a TypeError for types
 * finegrain does not name (complex, quantized).
 */
export function dtypeName(code: number): DType {
  const name = NAMES.get(code);
  if (!name) throw new TypeError(`libtorch dtype code ${code} has no finegrain name`);
  return name;
}

/** Whether `d` is a floating-point dtype (float16, bfloat16, float32, float64): the ones that can require gradients. */
export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';
}

/** The typed array that holds each dtype's raw bytes (16-bit floats as raw `Uint16Array` bits). */
export type TypedArray = Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint16Array;

export function typedArrayFor(d: DType, buffer: ArrayBuffer, byteOffset = 0, length?: number): TypedArray {
  switch (d) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'float64':
      return new Float64Array(buffer, byteOffset, length);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, byteOffset, length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, length);
    case 'int8':
      return new Int8Array(buffer, byteOffset, length);
    case 'int16':
      return new Int16Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, length);
  }
}

/** The dtype a typed array naturally holds (Uint16Array is ambiguous and must be named). */
export function dtypeOfTypedArray(a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  throw new TypeError(`cannot infer a dtype from ${a.constructor.name}; pass { dtype }`);
}
