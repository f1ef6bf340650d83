/**
 * A list of submodules (torch.nn.ModuleList) that registers them under '0', '1', … but has
 * no forward of its own: the owner decides how to call them (e.g. parallel branches).
 *
 * @example
 *   this.registerModule('paths', new ModuleList([conv3x3, conv5x5]));
 *   const outs = this.paths.map((p) => p.forward(x));
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/**
 * A list of submodules registered as '0', '1', ... (torch.nn.ModuleList), with no forward of
 * its own: the owner decides how to call them.
 *
 * @example
 *   const paths = new ModuleList([conv3x3, conv5x5]);
 *   const outs = paths.map((p) => p.forward(x));
 */
export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: readonly M[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }

  /** Registers `module` under the next index. Returns the list. */
  append(module: M): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  /** How many modules the list has. */
  get length(): number {
    return this.children().length;
  }

  /** The i-th module (negative counts from the end); throws a RangeError out of range. */
  at(i: number): M {
    const all = this.children();
    const m = all[i < 0 ? all.length + i : i];
    if (!m) throw new RangeError(`ModuleList: index ${i} out of range (length ${all.length})`);
    return m as M;
  }

  /** Calls `fn` on each module in order and returns the results. */
  map<T>(fn: (m: M, i: number) => T): T[] {
    return (this.children() as M[]).map(fn);
  }

  /** The modules in order, for `for (const m of list)`. */
  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }

  forward(_x: Tensor): Tensor {
    throw new Error('ModuleList has no forward: call its modules');
  }
}
