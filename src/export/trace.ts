/**
 * Tracing a forward pass at the ATen level. While `traceForward` runs, every operator call
 * that reaches libtorch — the generic `aten(name).call(...)` route and the fast tensor-tensor
 * add/sub/mul/div — is recorded with its arguments, the module that made it and the shapes
 * of what it returned. Since every layer of every model computes through these two routes,
 * one tracer covers the whole zoo; the ONNX mapping then works per operator, not per model.
 *
 * Operators whose tensor inputs are all constants (weights, buffers, tensors made inside the
 * forward from numbers) are marked `folded` and their results captured as constants, so weight
 * reshapes and the like fold away — unless the result's shape depends on the batch (a class
 * token expanded to the batch), which only comparing two traces can tell.
 *
 * @example
 *   const trace = traceForward(model, x, (m, input) => [m.forward(input)]);
 *   trace.ops.map((o) => o.name);      // ['conv2d', 'batch_norm', 'relu_', ...]
 */
import { native, type Handle, type OpId } from '../native/binding.js';
import { dtypeName, typedArrayFor, type DType, type TypedArray } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';
import { tracedSchemaOf, type TracedSchema } from './traced-schema.js';

/** A tensor in the trace: the graph input, an operator's result, or a constant. */
export interface TracedValue {
  readonly id: number;
  readonly kind: 'input' | 'computed' | 'constant';
  readonly shape: number[];
  readonly dtype: DType;
  /** For constants: the state-dict name when it is a parameter or buffer of the model. */
  readonly name?: string;
  /** For constants: the elements (row-major), read when the value was first seen (absent when the trace captured no data). */
  readonly data?: TypedArray;
}

/** A tensor argument's place in the trace. */
export class ValueRef {
  constructor(readonly id: number) {}
}

/** An argument as recorded: a value, a list of values (null for an absent optional one), or a literal. */
export type TracedArg = ValueRef | (ValueRef | null)[] | unknown;

export interface TracedOp {
  /** The operator's schema name without `aten::` (`conv2d`, `add.Tensor`). */
  readonly name: string;
  readonly schema: TracedSchema;
  readonly args: TracedArg[];
  readonly outputs: number[];
  /** Dotted path of the innermost module whose forward made the call ('' is the model). */
  readonly module: string;
  /** That module's class name. */
  readonly moduleType: string;
  /** Every tensor input is a constant: the results were captured as constants too. */
  readonly folded: boolean;
}

export interface Trace {
  readonly values: TracedValue[];
  readonly ops: TracedOp[];
  readonly input: number;
  readonly outputs: number[];
}

export interface TraceOptions {
  /**
   * Read constants' elements (default true). The model's parameters and buffers are read in
   * place, without a copy: keep the model alive (and unchanged) while the trace is used.
   * false records shapes only (the exporter's second trace).
   */
  captureData?: boolean;
}

const schemas = new Map<OpId, TracedSchema>();
function schemaOf(op: OpId): TracedSchema {
  let s = schemas.get(op);
  if (!s) schemas.set(op, (s = tracedSchemaOf(native.schema(op))));
  return s;
}

// The fast arithmetic path (native/src/fast.cc) computes what these operators do.
const FAST = { add: 'add.Tensor', sub: 'sub.Tensor', mul: 'mul.Tensor', div: 'div.Tensor' } as const;
let fastSchemas: Record<keyof typeof FAST, TracedSchema> | null = null;

class Recorder {
  readonly values: TracedValue[] = [];
  readonly ops: TracedOp[] = [];
  // The value each live handle currently holds (in-place operators move a handle to a new value).
  readonly byHandle = new Map<Handle, number>();
  readonly moduleStack: [string, string][];

  constructor(
    readonly names: Map<Handle, string>,
    modelType: string,
    readonly captureData: boolean,
  ) {
    this.moduleStack = [['', modelType]];
  }

  add(v: Omit<TracedValue, 'id'>): number {
    const id = this.values.length;
    this.values.push({ id, ...v });
    return id;
  }

  meta(h: Handle): { shape: number[]; dtype: DType } {
    return { shape: native.shape(h), dtype: dtypeName(native.dtype(h)) };
  }

  constant(h: Handle): number {
    const { shape, dtype } = this.meta(h);
    const name = this.names.get(h);
    // The model's own weights are read in place (they outlive the export); anything else is
    // copied now, since it may be freed before the graph is written.
    const data = this.captureData ? typedArrayFor(dtype, native.toBuffer(h, name === undefined || !native.isContiguous(h, 0))) : undefined;
    return this.add({ kind: 'constant', shape, dtype, ...(data ? { data } : {}), ...(name ? { name } : {}) });
  }

  valueOf(h: Handle): number {
    const found = this.byHandle.get(h);
    if (found !== undefined) return found;
    const id = this.constant(h);
    this.byHandle.set(h, id);
    return id;
  }

  isConstant(id: number): boolean {
    return this.values[id]!.kind === 'constant';
  }

  /** Records one call: `args` as the addon got them, `result` as it returned. */
  record(schema: TracedSchema, args: unknown[], result: unknown): void {
    const traced: TracedArg[] = args.map((a, i) => {
      const kind = schema.args[i]?.kind;
      if (kind === 'tensor') return a === null || a === undefined ? null : new ValueRef(this.valueOf(a as Handle));
      if (kind === 'tensorList') return (a as (Handle | null)[]).map((h) => (h === null ? null : new ValueRef(this.valueOf(h))));
      return a;
    });
    const refs = traced.flatMap((a) => (a instanceof ValueRef ? [a] : Array.isArray(a) ? a.filter((x): x is ValueRef => x instanceof ValueRef) : []));
    const dependent = refs.some((r) => !this.isConstant(r.id));
    // callVoid returns nothing: an in-place operator's result is its first argument.
    const handles: Handle[] =
      result === undefined
        ? schema.inPlace
          ? [args[0] as Handle]
          : []
        : schema.returns === 'tensor'
          ? [result as Handle]
          : schema.returns === 'other'
            ? []
            : (result as Handle[]);
    // Results of all-constant inputs are captured as constants (read now, while they are alive);
    // the exporter folds them unless their shape depends on the batch.
    const outputs = handles.map((h) => {
      const id = dependent ? this.add({ kind: 'computed', ...this.meta(h) }) : this.constant(h);
      this.byHandle.set(h, id);
      return id;
    });
    // An in-place operator's first argument now holds its result too.
    if (schema.inPlace && outputs.length > 0) this.byHandle.set(args[0] as Handle, outputs[0]!);
    const [module, moduleType] = this.moduleStack[this.moduleStack.length - 1]!;
    this.ops.push({ name: schema.name, schema, args: traced, outputs, module, moduleType, folded: !dependent });
  }
}

type Patchable = Record<'call' | 'callVoid' | keyof typeof FAST, (...a: unknown[]) => unknown>;

// Wraps every module's forward so each recorded operator knows the layer that made it.
function wrapModules(model: Module, recorder: Recorder): () => void {
  const undo: (() => void)[] = [];
  for (const [path, m] of model.namedModules()) {
    if (path === '') continue;
    const own = Object.prototype.hasOwnProperty.call(m, 'forward');
    const original = m.forward;
    const wrapped = function (this: Module, ...a: unknown[]) {
      recorder.moduleStack.push([path, m.constructor.name]);
      try {
        return (original as (...x: unknown[]) => Tensor).apply(m, a);
      } finally {
        recorder.moduleStack.pop();
      }
    };
    Object.defineProperty(m, 'forward', { value: wrapped, configurable: true, writable: true });
    undo.push(() => {
      if (own) Object.defineProperty(m, 'forward', { value: original, configurable: true, writable: true });
      else delete (m as { forward?: unknown }).forward;
    });
  }
  return () => undo.forEach((u) => u());
}

/**
 * Runs `run(model, input)` once, recording every operator (see the file comment). The model
 * should be in eval mode; autograd and autocast should be off (the caller's `noGrad`).
 */
export function traceForward(model: Module, input: Tensor, run: (model: Module, input: Tensor) => Tensor[], options: TraceOptions = {}): Trace {
  const names = new Map<Handle, string>();
  for (const [name, t] of model.stateEntries()) names.set(t.handle, name);
  const recorder = new Recorder(names, model.constructor.name, options.captureData ?? true);
  const inputId = recorder.add({ kind: 'input', ...recorder.meta(input.handle) });
  recorder.byHandle.set(input.handle, inputId);
  fastSchemas ??= {
    add: tracedSchemaOf('aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor'),
    sub: tracedSchemaOf('aten::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor'),
    mul: tracedSchemaOf('aten::mul.Tensor(Tensor self, Tensor other) -> Tensor'),
    div: tracedSchemaOf('aten::div.Tensor(Tensor self, Tensor other) -> Tensor'),
  };
  const target = native as unknown as Patchable;
  const saved = { call: target.call, callVoid: target.callVoid, add: target.add, sub: target.sub, mul: target.mul, div: target.div };
  target.call = (...all: unknown[]) => {
    const [op, ...args] = all as [OpId, ...unknown[]];
    const r = saved.call.call(native, op, ...args);
    recorder.record(schemaOf(op), args, r);
    return r;
  };
  target.callVoid = (...all: unknown[]) => {
    const [op, ...args] = all as [OpId, ...unknown[]];
    saved.callVoid.call(native, op, ...args);
    recorder.record(schemaOf(op), args, undefined);
  };
  for (const k of Object.keys(FAST) as (keyof typeof FAST)[]) {
    target[k] = (...ab: unknown[]) => {
      const [a, b] = ab as [Handle, Handle];
      const r = saved[k].call(native, a, b);
      recorder.record(fastSchemas![k], [a, b], r);
      return r;
    };
  }
  const unwrap = wrapModules(model, recorder);
  let outputs: Tensor[];
  try {
    outputs = run(model, input);
  } finally {
    Object.assign(target, saved);
    unwrap();
  }
  const outputIds = outputs.map((t) => recorder.valueOf(t.handle));
  return { values: recorder.values, ops: recorder.ops, input: inputId, outputs: outputIds };
}
