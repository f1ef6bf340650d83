/**
 * What an operator mapping sees of one traced ATen call: its arguments as ONNX value names or
 * literals, the symbolic shapes and dtypes of inputs and outputs, and the graph to add nodes
 * to. Mappings (ops/*.ts) call `out()` for each result.
 *
 * @example
 *   // aten::relu(Tensor self) -> Tensor
 *   (ctx) => ctx.out(ctx.node('Relu', [ctx.input(0)]));
 */
import type { DType, TypedArray } from '../tensor/dtype.js';
import { isDynamic, type SymDim } from './batch-dims.js';
import { exportError, type ExportError } from './export-error.js';
import type { OnnxGraph, OnnxAttrValue } from './onnx-graph.js';
import { ValueRef, type TracedOp, type TracedValue } from './trace.js';

/** What the converter provides about values (see trace-to-onnx.ts). */
export interface ValueResolver {
  /** The ONNX name of a value, made an initialiser on first use if it is a constant (cast to `dtype` when given). */
  name(id: number, dtype?: DType): string;
  value(id: number): TracedValue;
  dims(id: number): SymDim[];
  /** Whether the value is a constant the graph may read (folded, batch-independent). */
  isConstant(id: number): boolean;
  /** Records the ONNX name that holds a traced value. */
  bind(id: number, name: string): void;
  /** The batch size as a 1-D int64 tensor [N], computed once from the graph input. */
  batchSize(): string;
}

export class OpContext {
  constructor(
    readonly op: TracedOp,
    /** The same call's arguments in the second trace (another batch size). */
    readonly otherArgs: readonly unknown[],
    readonly graph: OnnxGraph,
    readonly values: ValueResolver,
  ) {}

  /** Where nodes get their names from: the layer's path. */
  get scope(): string {
    return this.op.module || 'model';
  }

  fail(why: string): ExportError {
    return exportError(this.op.module, this.op.moduleType, this.op.name, why);
  }

  #ref(i: number): ValueRef {
    const a = this.op.args[i];
    if (!(a instanceof ValueRef)) throw this.fail(`argument ${i} (${this.op.schema.args[i]?.name}) is not a tensor here`);
    return a;
  }

  /** Whether tensor argument `i` was given (optional tensors may be null). */
  has(i: number): boolean {
    return this.op.args[i] instanceof ValueRef;
  }

  /** The ONNX name of tensor argument `i` (cast to `dtype` when given and different). */
  input(i: number, dtype?: DType): string {
    const ref = this.#ref(i);
    if (!dtype || this.values.value(ref.id).dtype === dtype || this.values.isConstant(ref.id)) return this.values.name(ref.id, dtype);
    const code = ONNX_CAST[dtype];
    if (code === undefined) throw this.fail(`needs a cast to ${dtype}, which ONNX export does not support`);
    return this.node('Cast', [this.values.name(ref.id)], { to: code });
  }

  /** The ONNX names of a tensor-list argument. */
  inputs(i: number): string[] {
    const list = this.op.args[i];
    if (!Array.isArray(list)) throw this.fail(`argument ${i} is not a tensor list`);
    return list.map((r) => {
      if (!(r instanceof ValueRef)) throw this.fail(`argument ${i} holds a missing tensor`);
      return this.values.name(r.id, this.outDtype());
    });
  }

  /** Tensor argument `i`'s traced value (shape, dtype, constant data). */
  value(i: number): TracedValue {
    return this.values.value(this.#ref(i).id);
  }

  /** Tensor argument `i`'s elements when it is a constant, else null. */
  constantData(i: number): TypedArray | null {
    if (!this.has(i)) return null;
    const id = this.#ref(i).id;
    return this.values.isConstant(id) ? (this.values.value(id).data ?? null) : null;
  }

  dims(i: number): SymDim[] {
    return this.values.dims(this.#ref(i).id);
  }

  rank(i: number): number {
    return this.dims(i).length;
  }

  outDims(j = 0): SymDim[] {
    return this.values.dims(this.op.outputs[j]!);
  }

  outDtype(j = 0): DType {
    return this.values.value(this.op.outputs[j]!).dtype;
  }

  /** A literal argument that must not depend on the batch size (undefined: the schema default). */
  literal<T>(i: number, fallback?: T): T {
    const a = this.op.args[i];
    const b = this.otherArgs[i];
    if (JSON.stringify(a) !== JSON.stringify(b))
      throw this.fail(`argument '${this.op.schema.args[i]?.name}' depends on the batch size (${JSON.stringify(a)} vs ${JSON.stringify(b)})`);
    return (a === undefined || a === null ? fallback : a) as T;
  }

  /** An int or int-list argument as a list of `n` (one int is repeated, as ATen's int[2]). */
  ints(i: number, n: number, fallback: number[]): number[] {
    const v = this.literal<number | number[] | undefined>(i, undefined);
    if (v === undefined || (Array.isArray(v) && v.length === 0)) return fallback;
    return typeof v === 'number' ? Array(n).fill(v) : v.length === 1 && n > 1 ? Array(n).fill(v[0]) : v;
  }

  /** A dim argument made non-negative against tensor argument `of`'s rank. */
  axis(i: number, of = 0, fallback?: number): number {
    const d = this.literal<number>(i, fallback);
    return d < 0 ? d + this.rank(of) : d;
  }

  node(opType: string, inputs: string[], attributes: Record<string, OnnxAttrValue> = {}): string {
    return this.graph.node(opType, inputs, attributes, 1, this.scope)[0]!;
  }

  /** Binds result `j` of the ATen call to an ONNX value. */
  out(name: string, j = 0): void {
    const id = this.op.outputs[j];
    if (id === undefined) throw this.fail(`has no result ${j}`);
    this.values.bind(id, name);
  }

  /** A 1-D int64 tensor holding `dims` (dynamic ones computed from the batch size). */
  shapeTensor(dims: readonly SymDim[]): string {
    if (!dims.some(isDynamic)) return this.graph.int64(dims as number[]);
    const parts: string[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length) parts.push(this.graph.int64(run));
      run = [];
    };
    for (const d of dims) {
      if (typeof d === 'number') {
        run.push(d);
        continue;
      }
      flush();
      const n = this.values.batchSize();
      parts.push(d.batch === 1 ? n : this.node('Mul', [n, this.graph.int64([d.batch])]));
    }
    flush();
    return parts.length === 1 ? parts[0]! : this.node('Concat', parts, { axis: 0 });
  }

  /** A Reshape target for `dims`: the one dynamic dim as -1 when there is one, else computed. */
  reshapeTarget(dims: readonly SymDim[]): string {
    const dynamic = dims.filter(isDynamic).length;
    if (dynamic === 1) return this.graph.int64(dims.map((d) => (isDynamic(d) ? -1 : d)));
    return this.shapeTensor(dims);
  }
}

/** Cast targets (TensorProto.DataType). */
export const ONNX_CAST: Partial<Record<DType, number>> = { float32: 1, int64: 7, int32: 6, bool: 9, float64: 11, uint8: 2, int8: 3, float16: 10 };
