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
  constructor(readonly items: PyValue[]) {}
}

/** A dict or OrderedDict, insertion-ordered. `attrs` holds what BUILD set on it (a state dict's `_metadata`). */
export class PyDict {
  readonly entries = new Map<PyValue, PyValue>();
  readonly attrs = new Map<string, PyValue>();
  /** The class it was made as: 'dict', 'collections.OrderedDict', or an allowlisted dict subclass. */
  constructor(readonly kind = 'dict') {}
  get(key: string): PyValue | undefined {
    return this.entries.get(key);
  }
}

/** A set or frozenset. */
export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

/** An allowlisted global (`module.qualname`) as the pickle named it; inert until a handler uses it. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of an allowlisted plain-data class (argparse.Namespace): its attributes, nothing else. */
export class PyObject {
  readonly attrs = new Map<string, PyValue>();
  constructor(readonly cls: string) {}
}

/** `torch.float32` and friends, as checkpoints store a tensor's dtype. */
export class TorchDtype {
  constructor(readonly name: string) {}
}

/** `numpy.dtype('<f8')`: kind and width; its byte order arrives later through BUILD. */
export class NumpyDtype {
  byteOrder: '<' | '>' | '=' | '|' = '=';
  constructor(readonly code: string) {}
}

/**
 * A storage the checkpoint's tensors view: which record holds its bytes (`key`), how many
 * elements of which dtype. `dtype` is undefined for element types finegrain cannot hold
 * (`typeName` says which); such a storage fails only if a tensor of it is read.
 */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly typeName: string,
    readonly dtype: DType | undefined,
    readonly itemSize: number,
    readonly numel: number,
    /** Elements into the record where this storage starts (legacy-format storage views). */
    readonly baseOffset = 0,
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage, not yet read. */
export class TensorRef {
  isParameter = false;
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
  ) {}
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
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
