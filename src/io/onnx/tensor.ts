/**
 * ONNX `TensorProto` initialisers as typed arrays and finegrain tensors. ONNX stores a
 * tensor's elements either as little-endian bytes (`raw_data`, what exporters write) or in
 * one of the typed repeated fields (`float_data`, `int32_data` — which also carries int8,
 * uint8, int16, bool and float16 — `int64_data`, `double_data`); both are read here.
 *
 * @example
 *   const w = onnxTensorToTensor(model.initializers.get('475_quantized')!); // int8 [32, 3, 3, 3]
 */
import { endianness } from 'node:os';
import { fromTypedArray, type DType, type Tensor, type TypedArray } from '../../tensor/index.js';

/** An initialiser decoded from the protobuf: its elements in a typed array of its dtype. */
export interface OnnxTensor {
  /** The initialiser's name, as nodes refer to it. */
  readonly name: string;
  /** The element type. */
  readonly dtype: DType;
  /** The shape ([] for a scalar). */
  readonly dims: number[];
  /** Row-major elements; float16/bfloat16 as raw bits in a Uint16Array. */
  readonly data: TypedArray;
}

// TensorProto.DataType codes (onnx.proto) that finegrain has tensors for.
const ONNX_DTYPES: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
};

const ONNX_TYPE_NAMES: Record<number, string> = { 4: 'uint16', 8: 'string', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128' };

/**
 * The finegrain dtype of an ONNX element-type code (throws for types finegrain lacks).
 * @example onnxDtype(3); // 'int8'
 */
export function onnxDtype(code: number): DType {
  const d = ONNX_DTYPES[code];
  if (!d) throw new Error(`ONNX element type ${ONNX_TYPE_NAMES[code] ?? code} has no finegrain dtype`);
  return d;
}

/** protobufjs gives 64-bit integers as `Long` objects (or plain numbers when they fit). */
export type LongLike =
  | number
  | {
      /** The value as a JS number (exact below 2^53). */
      toNumber(): number;
    };

/**
 * A protobuf 64-bit integer as a JS number (exact below 2^53, which dims and attributes are).
 * @example toNumber(node.attribute[0].i);
 */
export function toNumber(v: LongLike): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** The fields of `onnx.TensorProto` that decoding reads (the generated class satisfies it). */
export interface TensorProtoLike {
  /** The tensor's name. */
  name?: string | null;
  /** The shape. */
  dims?: LongLike[] | null;
  /** The ONNX element-type code (`TensorProto.DataType`). */
  dataType?: number | null;
  /** The elements as little-endian bytes, what exporters usually write. */
  rawData?: Uint8Array | null;
  /** float32 elements, when not in `rawData`. */
  floatData?: number[] | null;
  /** int32 elements, and int8, uint8, int16, bool and float16 ones widened to int32, when not in `rawData`. */
  int32Data?: number[] | null;
  /** int64 elements, when not in `rawData`. */
  int64Data?: LongLike[] | null;
  /** float64 elements, when not in `rawData`. */
  doubleData?: number[] | null;
  /** 1 when the elements live in an external file (not supported: decoding throws). */
  dataLocation?: number | null;
}

function emptyOf(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
  }
}

/**
 * Decodes one initialiser. External data (weights in a side file, for models over 2 GB) is
 * not supported: such a model has to be loaded from its directory by a fuller ONNX reader.
 *
 * @example
 *   const t = decodeOnnxTensor(graph.initializer[0]);   // { name, dtype, dims, data }
 */
export function decodeOnnxTensor(proto: TensorProtoLike): OnnxTensor {
  const name = proto.name ?? '';
  if (proto.dataLocation === 1) throw new Error(`ONNX tensor '${name}' keeps its data in an external file, which is not supported`);
  const dtype = onnxDtype(proto.dataType ?? 0);
  const dims = (proto.dims ?? []).map(toNumber);
  const n = dims.reduce((a, b) => a * b, 1);
  const out = emptyOf(dtype, n);
  const raw = proto.rawData;
  if (raw && raw.length) {
    if (raw.length !== out.byteLength)
      throw new Error(`ONNX tensor '${name}': dims [${dims}] of ${dtype} need ${out.byteLength} bytes, raw_data has ${raw.length}`);
    // raw_data is little-endian by the spec, as typed arrays are on every host we build for.
    if (endianness() !== 'LE') throw new Error('reading ONNX raw_data on a big-endian host is not supported');
    new Uint8Array(out.buffer).set(raw);
    return { name, dtype, dims, data: out };
  }
  const field: ArrayLike<number | LongLike> | null | undefined =
    dtype === 'float32' ? proto.floatData : dtype === 'float64' ? proto.doubleData : dtype === 'int64' ? proto.int64Data : proto.int32Data;
  const values = field ?? [];
  if (values.length !== n) throw new Error(`ONNX tensor '${name}': dims [${dims}] hold ${n} elements, the data field has ${values.length}`);
  if (out instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = BigInt(toNumber(values[i] as LongLike));
  // float16/bfloat16 travel as their 16-bit patterns in int32_data, which Uint16Array keeps.
  else for (let i = 0; i < n; i++) out[i] = values[i] as number;
  return { name, dtype, dims, data: out };
}

/**
 * A finegrain tensor holding an initialiser's elements (one copy; the caller owns it).
 *
 * @example
 *   const scale = onnxTensorToTensor(graph.initializer('475_scale'));   // float32 [32]
 */
export function onnxTensorToTensor(t: OnnxTensor): Tensor {
  return fromTypedArray(t.data, t.dims, { dtype: t.dtype });
}
