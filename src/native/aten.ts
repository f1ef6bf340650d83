/**
 * ATen operators by schema name. `aten('conv2d')` resolves `aten::conv2d` once (on first use)
 * and returns a function that calls it with arguments in schema order; `undefined` takes
 * the schema's default. This is the one route from TypeScript into libtorch's operators, so
 * autograd, autocast and device dispatch apply to all of them alike.
 *
 * @example
 *   const addmm = aten('addmm');
 *   const h = addmm.call(bias.handle, x.handle, w.handle); // -> Handle
 */
import { native, type OpId } from './binding.js';

export interface AtenOp {
  /** Calls the operator; returns a handle, a number, or an array for multi-output operators. */
  call(...args: unknown[]): any;
  /** Calls an in-place operator, dropping its (aliasing) result. */
  callVoid(...args: unknown[]): void;
  /** The schema text, e.g. `aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor`. */
  readonly schema: string;
}

const cache = new Map<string, AtenOp>();

/** `name` is `conv2d` or `add.Tensor` (overload after the dot), with or without `aten::`. */
export function aten(name: string): AtenOp {
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
