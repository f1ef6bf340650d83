/**
 * A chain of modules applied in order (torch.nn.Sequential). Children are named '0', '1', …
 * unless given names (torchvision's RegNet names its stages 'block1', …), and those names are
 * the state-dict prefixes: `features.3.weight`.
 *
 * Each intermediate output is freed as soon as the next module has consumed it, so a deep
 * network's forward pass holds one activation at a time (autograd keeps what backward needs
 * on its own).
 *
 * @example
 *   const head = new Sequential([new Dropout(0.2), new Linear(1280, 200)]);
 *   const stages = new Sequential([['a', conv1], ['b', conv2]]);
 *   const y = head.forward(x);
 */
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** Modules in order, or [name, module] pairs. */
export type ModuleEntries = readonly Module[] | readonly (readonly [string, Module])[];

function entriesOf(modules: ModuleEntries): [string, Module][] {
  return modules.map((m, i) => (m instanceof Module ? [String(i), m] : [m[0], m[1]]));
}

/**
 * Modules applied in order (torch.nn.Sequential), registered as '0', '1', ... or under given
 * names; each intermediate output is freed as soon as the next module has used it.
 *
 * @example
 *   const head = new Sequential([new Dropout(0.2), new Linear(1280, 200)]);
 */
export class Sequential extends Module {
  constructor(modules: ModuleEntries = []) {
    super();
    for (const [name, m] of entriesOf(modules)) this.registerModule(name, m);
  }

  /** Appends a module under the next index (or `name`). */
  append(module: Module, name = String(this.length)): this {
    this.registerModule(name, module);
    return this;
  }

  /** How many modules the chain has. */
  get length(): number {
    return this.children().length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const all = this.children();
    const m = all[i < 0 ? all.length + i : i];
    if (!m) throw new RangeError(`Sequential: index ${i} out of range (length ${all.length})`);
    return m;
  }

  /** The modules in order, for `for (const m of seq)`. */
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    return runChain(this.children(), x);
  }

  /**
   * Runs modules [start, end) only: e.g. a classifier's layers before its last Linear.
   * @example const embedding = classifier.forwardRange(x, 0, -1);
   */
  forwardRange(x: Tensor, start = 0, end?: number): Tensor {
    return runChain(this.children().slice(start, end), x);
  }
}

/**
 * Applies `modules` in order to `x`, freeing each intermediate (never `x`, and never a
 * tensor a module passed through unchanged or modified in place).
 *
 * @example
 *   const y = runChain([this.conv, this.bn, this.act], x);
 */
export function runChain(modules: readonly Module[], x: Tensor): Tensor {
  let y = x;
  for (const m of modules) {
    const z = m.forward(y);
    if (y !== x && z !== y) y.dispose();
    y = z;
  }
  return y;
}
