/**
 * An ONNX graph under construction: nodes in topological order, initialisers (constant
 * tensors) and the graph's inputs and outputs with their (possibly symbolic) dims. Plain data,
 * so passes such as batch-norm folding and quantisation can rewrite it before it is encoded
 * (`encodeOnnxModel`).
 *
 * @example
 *   const g = new OnnxGraph();
 *   const w = g.initializer('fc.weight', [10, 4], new Float32Array(40));
 *   const [y] = g.node('MatMul', ['input', w]);
 */
import type { DType, TypedArray } from '../tensor/dtype.js';

/** A float attribute (plain numbers are INT attributes). */
export class FloatAttr {
  constructor(
    /** The attribute's value. */
    readonly value: number,
  ) {}
}

/** A list-of-floats attribute (plain number arrays are INTS). */
export class FloatsAttr {
  constructor(
    /** The attribute's values. */
    readonly value: number[],
  ) {}
}

/** A node attribute's value: INT (number), INTS (number[]), STRING, FLOAT (`FloatAttr`) or FLOATS (`FloatsAttr`). */
export type OnnxAttrValue = number | number[] | string | FloatAttr | FloatsAttr;

/** One operator of the graph. */
export interface GraphNode {
  /** The ONNX operator ('Conv', 'Relu', 'MatMul', ...). */
  opType: string;
  /** The names of the values it reads, in the operator's input order ('' for an omitted optional input). */
  inputs: string[];
  /** The names of the values it produces. */
  outputs: string[];
  /** The operator's attributes by name. */
  attributes: Record<string, OnnxAttrValue>;
  /** The node's unique name (scope path and operator, for reading the graph in Netron). */
  name: string;
}

/** ONNX element types (TensorProto.DataType) of the dtypes an export meets. */
export const ONNX_ELEM_TYPE: Partial<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

/** A constant tensor of the graph (a weight, a shape). */
export interface GraphInitializer {
  /** The name nodes read it by. */
  name: string;
  /** Its shape ([] for a scalar). */
  dims: number[];
  /** Its element type. */
  dtype: DType;
  /** Its elements, row-major; weights are views of the model's tensors, not copies. */
  data: TypedArray;
}

/** A graph input or output: a dim is a number, or a name for a dynamic one ('batch'); null dims: shape unknown. */
export interface GraphValueInfo {
  /** The value's name. */
  name: string;
  /** Its element type. */
  dtype: DType;
  /** Its shape: numbers, names for dynamic dims, or null when unknown. */
  dims: (number | string)[] | null;
}

/**
 * An ONNX graph under construction, as `exportOnnx` returns it: nodes in topological order,
 * initialisers, inputs and outputs. Encode it with `encodeOnnxModel` while the model whose
 * weights it reads is alive.
 *
 * @example
 *   const bytes = encodeOnnxModel(exportOnnx(model));
 */
export class OnnxGraph {
  /** The nodes, in topological order. */
  nodes: GraphNode[] = [];
  /** The constant tensors, by name. */
  readonly initializers = new Map<string, GraphInitializer>();
  /** The graph's inputs (what a caller feeds), in order. */
  readonly inputs: GraphValueInfo[] = [];
  /** The graph's outputs, in order. */
  readonly outputs: GraphValueInfo[] = [];
  #counter = 0;
  readonly #int64Cache = new Map<string, string>();

  /** A name not used yet, readable: `features.0/Conv_12`. */
  fresh(prefix: string): string {
    return `${prefix}_${this.#counter++}`;
  }

  /** Appends a node; returns its output names (fresh unless given). */
  node(opType: string, inputs: string[], attributes: Record<string, OnnxAttrValue> = {}, outputs: number | string[] = 1, scope = ''): string[] {
    const base = scope ? `${scope}/${opType}` : opType;
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(base)) : outputs;
    this.nodes.push({ opType, inputs, outputs: outs, attributes, name: this.fresh(`${base}_node`) });
    return outs;
  }

  /** Adds (or replaces) a named initialiser; returns its name. */
  initializer(name: string, dims: number[], data: TypedArray, dtype: DType = 'float32'): string {
    this.initializers.set(name, { name, dims: [...dims], dtype, data });
    return name;
  }

  /** A 1-D (or scalar, `scalar: true`) int64 constant, shared between nodes that need the same. */
  int64(values: readonly number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}${values.join(',')}`;
    let name = this.#int64Cache.get(key);
    if (!name) {
      name = this.fresh('const_i64');
      this.initializer(name, scalar ? [] : [values.length], BigInt64Array.from(values.map((v) => BigInt(v))), 'int64');
      this.#int64Cache.set(key, name);
    }
    return name;
  }

  /** A float constant of the given shape (default: scalar) and dtype. */
  float(values: readonly number[], dims: number[] = [], dtype: DType = 'float32'): string {
    const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
    return this.initializer(this.fresh('const_f'), dims, data, dtype === 'float64' ? 'float64' : 'float32');
  }

  /** How many nodes read each value (graph outputs count once). */
  consumers(): Map<string, number> {
    const count = new Map<string, number>();
    for (const n of this.nodes) for (const i of n.inputs) if (i) count.set(i, (count.get(i) ?? 0) + 1);
    for (const o of this.outputs) count.set(o.name, (count.get(o.name) ?? 0) + 1);
    return count;
  }

  /** A shallow copy whose node and output lists can be changed without touching this graph. */
  clone(): OnnxGraph {
    const g = new OnnxGraph();
    g.nodes = this.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] }));
    for (const [k, v] of this.initializers) g.initializers.set(k, v);
    g.inputs.push(...this.inputs);
    g.outputs.push(...this.outputs);
    g.#counter = this.#counter;
    return g;
  }

  /** Drops initialisers no node reads (after folding passes). */
  pruneInitializers(): void {
    const used = new Set(this.nodes.flatMap((n) => n.inputs));
    for (const o of this.outputs) used.add(o.name);
    for (const name of [...this.initializers.keys()]) if (!used.has(name)) this.initializers.delete(name);
  }
}
