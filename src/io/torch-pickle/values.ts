/**
 * What an unpickled checkpoint is made of, in JavaScript: Python's plain data as the nearest
 * JS value, and a small class for each thing that needs one. Nothing here runs code: a
 * `PyGlobal` is only the name of an allowlisted function, and calling it means looking up
 * a TypeScript handler (allowed-globals.ts).
 *
 * int → number (or bigint beyond 2^53) · float → number · str → string · bytes → Uint8Array ·
 * None → null · bool → boolean · list → Array · tuple → PyTuple · dict → PyDict ·
 * set → PySet · tensors → TensorRef (not read yet: a view of a StorageRef).
 *
 * @example
 *   if (value instanceof PyDict) for (const [k, v] of value.entries) ...
 */
import type { DType } from '../../tensor/dtype.js';

/** Any value an unpickled checkpoint holds, mapped to JavaScript as the file comment lists. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyObject
  | TorchDtype
  | NumpyDtype
  | StorageRef
  | TensorRef;

/** A Python tuple (immutable, so kept apart from lists). */
export class PyTuple {
  constructor(
    /** The elements, in order. */
    readonly items: PyValue[],
  ) {}
}

/** A dict or OrderedDict, insertion-ordered. `attrs` holds what BUILD set on it (a state dict's `_metadata`). */
export class PyDict {
  /** The items, in insertion order (keys are usually strings; ints and tuples occur). */
  readonly entries = new Map<PyValue, PyValue>();
  /** Attributes that BUILD set on the dict (a state dict's `_metadata`), by name. */
  readonly attrs = new Map<string, PyValue>();
  constructor(
    /** The class it was made as: 'dict', 'collections.OrderedDict', or an allowlisted dict subclass. */
    readonly kind = 'dict',
  ) {}
  /** The value under a string key, or undefined. */
  get(key: string): PyValue | undefined {
    return this.entries.get(key);
  }
}

/** A set or frozenset. */
export class PySet {
  constructor(
    /** The members, in the order the pickle listed them. */
    readonly items: PyValue[],
    /** Whether it is a frozenset. */
    readonly frozen: boolean,
  ) {}
}

/** An allowlisted global (`module.qualname`) as the pickle named it; inert until a handler uses it. */
export class PyGlobal {
  constructor(
    /** The Python module, e.g. `torch._utils`. */
    readonly module: string,
    /** The name within the module, e.g. `_rebuild_tensor_v2`. */
    readonly name: string,
  ) {}
  /** `module.name`, as allowlists and messages spell it. */
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of an allowlisted plain-data class (argparse.Namespace): its attributes, nothing else. */
export class PyObject {
  /** The instance's attributes, by name. */
  readonly attrs = new Map<string, PyValue>();
  constructor(
    /** The class, `module.qualname`. */
    readonly cls: string,
  ) {}
}

/** `torch.float32` and friends, as checkpoints store a tensor's dtype. */
export class TorchDtype {
  constructor(
    /** The dtype's name as torch spells it: 'float32', 'bfloat16', 'int64'. */
    readonly name: string,
  ) {}
}

/** `numpy.dtype('<f8')`: kind and width; its byte order arrives later through BUILD. */
export class NumpyDtype {
  /** Byte order: '<' little-endian, '>' big-endian, '=' native, '|' not applicable (one byte). */
  byteOrder: '<' | '>' | '=' | '|' = '=';
  constructor(
    /** NumPy's type code: kind and width, e.g. 'f8' for float64. */
    readonly code: string,
  ) {}
}

/**
 * A storage the checkpoint's tensors view: which record holds its bytes (`key`), how many
 * elements of which dtype. `dtype` is undefined for element types finegrain cannot hold
 * (`typeName` says which); such a storage fails only if a tensor of it is read.
 */
export class StorageRef {
  constructor(
    /** The archive record (zip format) or storage id (legacy format) holding the bytes. */
    readonly key: string,
    /** PyTorch's name for the element type: 'FloatStorage', 'bfloat16'. */
    readonly typeName: string,
    /** The element type, or undefined for types finegrain cannot hold (complex, quantized). */
    readonly dtype: DType | undefined,
    /** Bytes per element. */
    readonly itemSize: number,
    /** Elements in the storage. */
    readonly numel: number,
    /** Elements into the record where this storage starts (legacy-format storage views). */
    readonly baseOffset = 0,
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage, not yet read. */
export class TensorRef {
  /** Whether the pickle wrapped it in `torch.nn.Parameter`. */
  isParameter = false;
  constructor(
    /** The storage it views. */
    readonly storage: StorageRef,
    /** Where the view starts, in elements from the storage's start. */
    readonly offset: number,
    /** The tensor's shape. */
    readonly shape: number[],
    /** Steps between neighbours along each dimension, in elements. */
    readonly stride: number[],
    /** Whether the tensor required gradients when it was saved. */
    readonly requiresGrad: boolean,
  ) {}
  /** The number of elements: the product of the shape. */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  /** The element type (the storage's). */
  get dtype(): DType | undefined {
    return this.storage.dtype;
  }
}

/**
 * A value for messages: scalars as text (40 characters at most), anything else by its type name.
 * Never `String(v)` of a PyValue: a hostile pickle's list can be 100k levels deep, and
 * Array.prototype.toString recurses through it until the stack overflows.
 */
export function brief(v: PyValue | undefined): string {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string')
    return String(v).slice(0, 40);
  return typeName(v);
}

/** A short description of a value's type for messages: 'int', 'str', 'OrderedDict', 'Tensor'. */
export function typeName(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.kind === 'dict' ? 'dict' : v.kind;
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyGlobal) return v.qualified;
  if (v instanceof PyObject) return v.cls;
  if (v instanceof TorchDtype) return 'torch.dtype';
  if (v instanceof NumpyDtype) return 'numpy.dtype';
  if (v instanceof StorageRef) return 'Storage';
  return 'Tensor';
}
