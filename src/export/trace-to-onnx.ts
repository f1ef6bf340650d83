/**
 * Turns two traces of the same forward pass (at two batch sizes) into an ONNX graph: each
 * recorded ATen call goes through its mapping (ops/), constants become initialisers (named
 * after the state-dict key where they are parameters or buffers), and dims that differ
 * between the traces stay dynamic. A call with no mapping fails with an `ExportError` naming
 * the layer.
 *
 * @example
 *   const graph = traceToOnnx(traceAt2, traceAt3, 2, 3, ['logits', 'embedding']);
 */
import type { DType, TypedArray } from '../tensor/dtype.js';
import { isDynamic, symbolicDims, type SymDim } from './batch-dims.js';
import { exportError } from './export-error.js';
import { OnnxGraph } from './onnx-graph.js';
import { OpContext, type ValueResolver } from './op-context.js';
import { OP_MAPPINGS } from './ops/index.js';
import { ValueRef, type Trace, type TracedOp, type TracedValue } from './trace.js';

/** The graph's input name (images [batch, 3, H, W]). */
export const INPUT_NAME = 'input';

// Constant data in another dtype (ATen promotes a float64 scalar tensor against float32; ONNX does not).
function convertData(data: TypedArray, to: DType): TypedArray {
  const nums = data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data as ArrayLike<number>);
  switch (to) {
    case 'float32':
      return Float32Array.from(nums);
    case 'float64':
      return Float64Array.from(nums);
    case 'int64':
      return BigInt64Array.from(nums.map((n) => BigInt(Math.trunc(n))));
    case 'int32':
      return Int32Array.from(nums);
    case 'bool':
    case 'uint8':
      return Uint8Array.from(nums);
    default:
      throw new TypeError(`cannot convert a constant to ${to}`);
  }
}

function refsOf(op: TracedOp): ValueRef[] {
  return op.args.flatMap((a) => (a instanceof ValueRef ? [a] : Array.isArray(a) ? a.filter((x): x is ValueRef => x instanceof ValueRef) : []));
}

class Resolver implements ValueResolver {
  readonly bound = new Map<number, string>();
  readonly emitted = new Set<number>();
  readonly #converted = new Map<string, string>();
  #batch: string | null = null;
  readonly #dims = new Map<number, SymDim[]>();
  readonly #usedNames = new Set<string>();

  constructor(
    readonly a: Trace,
    readonly b: Trace,
    readonly na: number,
    readonly nb: number,
    readonly graph: OnnxGraph,
  ) {}

  value(id: number): TracedValue {
    return this.a.values[id]!;
  }

  dims(id: number): SymDim[] {
    let d = this.#dims.get(id);
    if (!d) {
      try {
        d = symbolicDims(this.a.values[id]!.shape, this.b.values[id]!.shape, this.na, this.nb);
      } catch (e) {
        throw new Error(`export: value ${id}: ${(e as Error).message}`, { cause: e });
      }
      this.#dims.set(id, d);
    }
    return d;
  }

  isStatic(id: number): boolean {
    return !this.dims(id).some(isDynamic);
  }

  isConstant(id: number): boolean {
    return this.value(id).kind === 'constant' && !this.emitted.has(id) && this.isStatic(id);
  }

  bind(id: number, name: string): void {
    this.bound.set(id, name);
  }

  #uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.#usedNames.has(name); k++) name = `${base}_${k}`;
    this.#usedNames.add(name);
    return name;
  }

  name(id: number, dtype?: DType): string {
    const v = this.value(id);
    const bound = this.bound.get(id);
    if (bound && (!dtype || dtype === v.dtype || !this.isConstant(id))) return bound;
    if (!this.isConstant(id)) throw new Error(`export: value ${id} is used before any node computes it`);
    if (!v.data) throw new Error(`export: constant ${id} has no data`);
    if (!bound) this.bound.set(id, this.graph.initializer(this.#uniqueName(v.name ?? `const_${id}`), v.shape, v.data, v.dtype));
    if (!dtype || dtype === v.dtype) return this.bound.get(id)!;
    const key = `${id}:${dtype}`;
    let name = this.#converted.get(key);
    if (!name) {
      name = this.graph.initializer(this.#uniqueName(`${v.name ?? `const_${id}`}_${dtype}`), v.shape, convertData(v.data, dtype), dtype);
      this.#converted.set(key, name);
    }
    return name;
  }

  batchSize(): string {
    if (!this.#batch) {
      const [shape] = this.graph.node('Shape', [INPUT_NAME], { start: 0, end: 1 }, 1, 'batch');
      this.#batch = shape!;
    }
    return this.#batch;
  }
}

/** Builds the graph; `outputNames[i]` names the trace's i-th output. */
export function traceToOnnx(a: Trace, b: Trace, na: number, nb: number, outputNames: readonly string[]): OnnxGraph {
  if (a.ops.length !== b.ops.length || a.values.length !== b.values.length || a.ops.some((op, i) => op.name !== b.ops[i]!.name)) {
    throw new Error('export: the forward pass runs different operators at different batch sizes; only batch-independent control flow can be exported');
  }
  const graph = new OnnxGraph();
  const r = new Resolver(a, b, na, nb, graph);
  const inputValue = a.values[a.input]!;
  graph.inputs.push({ name: INPUT_NAME, dtype: inputValue.dtype, dims: ['batch', ...inputValue.shape.slice(1)] });
  r.bind(a.input, INPUT_NAME);
  a.ops.forEach((op, i) => {
    if (op.outputs.length === 0) return; // size(), item() and such: numbers, no tensors
    const refs = refsOf(op);
    const dependsOnGraph = refs.some((ref) => !r.isConstant(ref.id));
    if (op.folded && !dependsOnGraph && op.outputs.every((o) => r.isStatic(o))) return; // a constant
    const mapping = OP_MAPPINGS.get(op.name);
    if (!mapping) throw exportError(op.module, op.moduleType, op.name, 'has no ONNX mapping');
    for (const o of op.outputs) r.emitted.add(o);
    mapping(new OpContext(op, b.ops[i]!.args, graph, r));
  });
  a.outputs.forEach((id, k) => {
    const name = outputNames[k]!;
    graph.node('Identity', [r.name(id)], {}, [name]);
    graph.outputs.push({
      name,
      dtype: a.values[id]!.dtype,
      dims: r.dims(id).map((d) => (typeof d === 'number' ? d : d.batch === 1 ? 'batch' : `${d.batch}*batch`)),
    });
  });
  return graph;
}
