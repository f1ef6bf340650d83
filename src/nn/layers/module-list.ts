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

export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: readonly M[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }

  append(module: M): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  get length(): number {
    return this.children().length;
  }

  at(i: number): M {
    const all = this.children();
    const m = all[i < 0 ? all.length + i : i];
    if (!m) throw new RangeError(`ModuleList: index ${i} out of range (length ${all.length})`);
    return m as M;
  }

  map<T>(fn: (m: M, i: number) => T): T[] {
    return (this.children() as M[]).map(fn);
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }

  forward(_x: Tensor): Tensor {
    throw new Error('ModuleList has no forward: call its modules');
  }
}
