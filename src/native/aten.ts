/**
 * ATen operators by schema name. `aten('conv2d')` resolves `aten::conv2d` once (on first use)
 * and returns a function that calls it with arguments in schema order; `undefined` takes
 * the schema's default. This is the one route from TypeScript into libtorch's operators, so
 * autograd, autocast and device dispatch apply to all of them alike.
 *
 * The names src/ uses are typed from libtorch's operator schemas (aten-ops.generated.ts, written
 * by scripts/generate-aten-types.mjs): a wrong argument or result type is a compile error.
 * `atenUntyped(name)` is the escape for names computed at run time.
 *
 * @example
 *   const addmm = aten('addmm');
 *   const h = addmm.call(bias.handle, x.handle, w.handle); // -> Handle
 */
import { native, type OpId } from './binding.js';
import type { AtenOps } from './aten-ops.generated.js';

/** An operator name with a generated signature: `conv2d`, `add.Tensor`. */
export type AtenName = keyof AtenOps;

/** A call signature, as the generated table holds them. */
export type AtenSignature = (...args: never[]) => unknown;

export interface AtenOp<F extends AtenSignature = (...args: unknown[]) => unknown> {
  /** Calls the operator; returns a handle, a number, or an array for multi-output operators. */
  call(...args: Parameters<F>): ReturnType<F>;
  /** Calls an in-place operator, dropping its (aliasing) result. */
  callVoid(...args: Parameters<F>): void;
  /** The schema text, e.g. `aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor`. */
  readonly schema: string;
}

const cache = new Map<string, AtenOp>();

/**
 * `name` is `conv2d` or `add.Tensor` (overload after the dot), with or without `aten::`. The
 * result is untyped: arguments are checked by the addon at run time only.
 *
 * @example
 *   const h = atenUntyped(`${name}_`).call(x.handle) as Handle;
 */
export function atenUntyped(name: string): AtenOp {
  let found = cache.get(name);
  if (found) return found;
  const full = name.includes('::') ? name : `aten::${name}`;
  const dot = full.indexOf('.', full.indexOf('::'));
  const base = dot < 0 ? full : full.slice(0, dot);
  const overload = dot < 0 ? '' : full.slice(dot + 1);
  let id: OpId | undefined;
  const resolve = (): OpId => (id ??= native.op(base, overload));
  found = {
    call: (...args: unknown[]) => native.call(resolve(), ...args),
    callVoid: (...args: unknown[]) => native.callVoid(resolve(), ...args),
    get schema() {
      return native.schema(resolve());
    },
  };
  cache.set(name, found);
  return found;
}

/**
 * The operator `name`, typed from its schema.
 *
 * @example
 *   const y = aten('conv2d').call(x.handle, w.handle, null, [2, 2], 1); // y: Handle
 */
export function aten<N extends AtenName>(name: N): AtenOp<AtenOps[N]> {
  // The generated table is derived from the same schemas the addon converts arguments by.
  return atenUntyped(name) as unknown as AtenOp<AtenOps[N]>;
}
