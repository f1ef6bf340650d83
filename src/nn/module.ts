import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor, ToOptions } from '../tensor/tensor.js';
import { isFloating } from '../tensor/dtype.js';
import { parameterGroups, type ParameterGroup, type ParameterGroupOptions } from './parameter-groups.js';
import { countFlops, type FlopCount } from './flops.js';
import { applyLoad, type LoadStateDictOptions, type LoadStateDictReport, type StateDictInput } from './state-dict.js';

/** A flat map from dotted names to tensors, as `stateDict()` returns and `loadStateDict()` takes. */
export type StateDict = Record<string, Tensor>;

/** Options of `Module.to()`: any of device, floating-point dtype, memory format (4-D tensors). */
export type ModuleToOptions = Pick<ToOptions, 'device' | 'dtype' | 'memoryFormat'>;

type Slot = 'parameter' | 'buffer' | 'module';

// Frees each distinct tensor once (a tensor may be registered under two names).
function disposeMany(ts: Tensor[]): void {
  for (const t of new Set(ts)) t.dispose();
}

/**
 * `Module`: the base of every layer and model. A module owns named parameters (trainable
 * tensors), buffers (state such as BatchNorm's running statistics) and submodules, in
 * registration order, so that traversals and state-dict keys come out exactly as PyTorch's:
 * `layer1.0.conv1.weight`, `bn1.running_mean`, `features.0.0.weight`.
 *
 * Registered tensors are kept out of every `scope()` (they live as long as the module) and
 * are freed by `dispose()`. Each registered name is also a property (`this.weight`,
 * `this.layer1`), looked up live, so `to()` and `loadStateDict()` can replace tensors
 * without stale references. Subclasses declare them with `declare readonly weight: Tensor`.
 *
 * @example
 *   class Affine extends Module {
 *     declare readonly scale: Tensor;
 *     constructor(n: number) {
 *       super();
 *       this.registerParameter('scale', ones([n]));
 *     }
 *     forward(x: Tensor): Tensor {
 *       return x.mul(this.scale);
 *     }
 *   }
 *   const m = new Affine(4);
 *   m.stateDict();        // { scale: Tensor([1, 1, 1, 1]) }
 *   m.dispose();
 */
export abstract class Module {
  /** Training mode (dropout active, BatchNorm uses and updates batch statistics). */
  training = true;

  readonly #parameters = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #nonPersistent = new Set<string>();
  readonly #modules = new Map<string, Module | null>();
  #disposed = false;

  /** The computation. Call it directly: `y = layer.forward(x)`. */
  abstract forward(input: Tensor): Tensor;

  // ---- registration ---------------------------------------------------------------------

  /**
   * Registers a trainable tensor under `name` (requiresGrad is switched on; null reserves the
   * name, as PyTorch's optional bias). The module owns the tensor from now on.
   * @example this.registerParameter('weight', empty([out, inFeatures]));
   */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    this.#claim(name, 'parameter');
    if (t) {
      t.keep();
      if (!t.requiresGrad && isFloating(t.dtype)) t.requiresGrad_(true);
    }
    this.#parameters.set(name, t);
    return t;
  }

  /**
   * Registers state that is not trained (running statistics, counters). Non-persistent
   * buffers are left out of the state dict.
   * @example this.registerBuffer('running_mean', zeros([c]));
   */
  registerBuffer(name: string, t: Tensor | null, options: { persistent?: boolean } = {}): Tensor | null {
    this.#claim(name, 'buffer');
    if (t) t.keep();
    this.#buffers.set(name, t);
    if (options.persistent === false) this.#nonPersistent.add(name);
    else this.#nonPersistent.delete(name);
    return t;
  }

  /**
   * Registers a submodule; its tensors appear under `name.`. Registering again under the
   * same name replaces the old submodule (which is not disposed: the caller decides).
   * @example this.registerModule('conv1', new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }));
   */
  registerModule<M extends Module | null>(name: string, m: M): M {
    this.#claim(name, 'module');
    this.#modules.set(name, m);
    return m;
  }

  #claim(name: string, slot: Slot): void {
    if (!name || name.includes('.')) throw new TypeError(`module attribute name must be non-empty and contain no '.', got '${name}'`);
    const taken = this.#parameters.has(name) ? 'parameter' : this.#buffers.has(name) ? 'buffer' : this.#modules.has(name) ? 'module' : null;
    if (taken && taken !== slot) throw new TypeError(`'${name}' is already registered as a ${taken}`);
    if (!taken && name in this) throw new TypeError(`cannot register '${name}': ${this.constructor.name} already has a property of that name`);
    if (taken) return;
    // A live property: reads see the current registration, assignment re-registers (as
    // PyTorch's __setattr__), so `model.fc = new Linear(...)` swaps the classifier.
    const map = slot === 'parameter' ? this.#parameters : slot === 'buffer' ? this.#buffers : this.#modules;
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: true,
      get: () => map.get(name),
      // What is assigned is checked by the register method it goes to.
      set: (v: unknown) => {
        if (slot === 'parameter') this.registerParameter(name, v as Tensor | null);
        else if (slot === 'buffer') this.registerBuffer(name, v as Tensor | null, { persistent: !this.#nonPersistent.has(name) });
        else this.registerModule(name, v as Module | null);
      },
    });
  }

  // ---- traversal ------------------------------------------------------------------------

  /** Direct submodules with their names, in registration order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, m] of this.#modules) if (m) out.push([k, m]);
    return out;
  }

  /** Direct submodules in registration order (`namedChildren()` without the names). */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module ('') and every descendant with its dotted path, depth first, each once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, path: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [k, c] of m.#modules) if (c) walk(c, path ? `${path}.${k}` : k);
    };
    walk(this, prefix);
    return out;
  }

  /** This module and every descendant, depth first, each once (`namedModules()` without the paths). */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with dotted names (own first, then each submodule's), each tensor once. */
  namedParameters(options: { recurse?: boolean } = {}): [string, Tensor][] {
    return this.#namedTensors('parameter', options.recurse ?? true);
  }

  /**
   * Every parameter, each tensor once: own first, then each submodule's (`recurse: false` keeps
   * only this module's own). The order is the state dict's, which optimizers rely on.
   * @example const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
   */
  parameters(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedParameters(options).map(([, t]) => t);
  }

  /** Buffers with dotted names (persistent or not), each tensor once. */
  namedBuffers(options: { recurse?: boolean } = {}): [string, Tensor][] {
    return this.#namedTensors('buffer', options.recurse ?? true);
  }

  /** Every buffer (running statistics, counters), each tensor once; `recurse: false` keeps only this module's own. */
  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(options).map(([, t]) => t);
  }

  #namedTensors(slot: 'parameter' | 'buffer', recurse: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.namedModules() : [['', this]];
    for (const [path, m] of mods) {
      const map = slot === 'parameter' ? m.#parameters : m.#buffers;
      for (const [k, t] of map) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([path ? `${path}.${k}` : k, t]);
      }
    }
    return out;
  }

  /**
   * The submodule at a dotted path (`'layer1.0.conv1'`); '' is this module.
   * @example model.getSubmodule('classifier.1')
   */
  getSubmodule(path: string): Module {
    // A cursor walking down from this module, not an alias kept for a closure.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let m: Module = this;
    if (!path) return m;
    for (const part of path.split('.')) {
      const next = m.#modules.get(part);
      if (!next) throw new Error(`${m.constructor.name} has no submodule '${part}' (looking up '${path}')`);
      m = next;
    }
    return m;
  }

  /**
   * Replaces (or adds) the submodule at a dotted path and returns the one it replaced.
   * @example model.setSubmodule('fc', new Linear(2048, 200)).dispose();
   */
  setSubmodule(path: string, module: Module): Module | null {
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? this : this.getSubmodule(path.slice(0, dot));
    const name = path.slice(dot + 1);
    const old = parent.#modules.get(name) ?? null;
    parent.registerModule(name, module);
    return old;
  }

  /** Calls `fn` on every module (children first, then this one), as PyTorch's `apply`. */
  apply(fn: (m: Module, path: string) => void): this {
    for (const [path, m] of this.namedModules().reverse()) fn(m, path);
    return this;
  }

  // ---- modes and freezing ---------------------------------------------------------------

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: dropout off, BatchNorm uses its running statistics. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Switches gradients of every parameter on or off: `requiresGrad_(false)` freezes the
   * module (e.g. a pretrained backbone while the new classifier trains).
   * @example model.getSubmodule('features').requiresGrad_(false);
   */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) {
      p.requiresGrad_(on);
      if (!on) p.grad = null;
    }
    return this;
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * The number of parameter elements (each shared tensor once); `trainable` counts only
   * those that require gradients.
   * @example createModel('resnet50').numParameters(); // 25557032
   */
  numParameters(options: { trainable?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainable || p.requiresGrad) n += p.numel;
    return n;
  }

  /**
   * Trainable parameters split for the optimizer: weight decay on weights, none on biases
   * and norm parameters (1-D).
   * @example new SGD(model.parameterGroups({ weightDecay: 1e-4 }), { lr: 0.01, momentum: 0.9 });
   */
  parameterGroups(options: ParameterGroupOptions): ParameterGroup[] {
    return parameterGroups(this, options);
  }

  /**
   * Multiply-adds of one forward pass at `inputSize` ([C, H, W]), as torchvision's GFLOPS.
   * @example createModel('resnet50').flops([3, 224, 224]).gflops; // ≈ 4.09
   */
  flops(inputSize: readonly number[]): FlopCount {
    return countFlops(this, inputSize);
  }

  // ---- state dict -----------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order (each module's own
   * parameters, then its buffers, then its submodules). The values are detached views that
   * share memory with the module (dispose them freely; write through them with care).
   * @example saveSafetensors('ckpt.safetensors', model.stateDict());
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [key, t] of this.stateEntries()) out[key] = t.detach();
    return out;
  }

  /** The state-dict keys with the module's own tensors (not copies): for loaders and reports. */
  stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) {
      const pre = path ? `${path}.` : '';
      for (const [k, t] of m.#parameters) if (t) out.push([pre + k, t]);
      for (const [k, t] of m.#buffers) if (t && !m.#nonPersistent.has(k)) out.push([pre + k, t]);
    }
    return out;
  }

  /**
   * Copies tensors from `dict` (a plain object or Map, e.g. a safetensors file's tensors) into
   * the module's parameters and buffers, casting dtype and moving device as needed. Strict (the
   * default) throws, before copying anything, when a key is missing, unexpected or of another
   * shape; `{ strict: false }` copies what matches and reports the rest.
   * @example
   *   const { missing, unexpected, shapeMismatch } = model.loadStateDict(tensors, { strict: false });
   */
  loadStateDict(dict: StateDictInput, options: LoadStateDictOptions = {}): LoadStateDictReport {
    return applyLoad(this.stateEntries(), dict, options, this.constructor.name);
  }

  // ---- conversion and lifetime ----------------------------------------------------------

  /**
   * Moves every parameter and buffer to a device, casts floating-point ones to `dtype`, and/or
   * lays 4-D ones out as `memoryFormat` ('channelsLast' for NHWC convolutions). Parameters
   * stay trainable leaves; replaced tensors are freed.
   * @example model.to({ device: 'cuda', memoryFormat: 'channelsLast' });
   */
  to(options: ModuleToOptions): this {
    const converted = new Map<Tensor, Tensor>();
    const convert = (t: Tensor): Tensor => {
      const done = converted.get(t);
      if (done) return done;
      const wants: ToOptions = {};
      if (options.device && t.device !== options.device && !(options.device === 'cuda' && t.device === 'cuda:0')) wants.device = options.device;
      if (options.dtype && isFloating(t.dtype) && t.dtype !== options.dtype) wants.dtype = options.dtype;
      if (options.memoryFormat && options.memoryFormat !== 'preserve' && t.ndim === 4 && !t.isContiguous(options.memoryFormat))
        wants.memoryFormat = options.memoryFormat;
      if (!Object.keys(wants).length) {
        converted.set(t, t);
        return t;
      }
      // detach() makes the result a leaf again (to() is recorded as an op of the old leaf).
      const moved = noGrad(() => t.to(wants));
      const next = moved.detach().keep();
      moved.dispose();
      if (t.requiresGrad) next.requiresGrad_(true);
      converted.set(t, next);
      return next;
    };
    const old: Tensor[] = [];
    for (const m of this.modules()) {
      for (const map of [m.#parameters, m.#buffers]) {
        for (const [k, t] of map) {
          if (!t) continue;
          const next = convert(t);
          if (next !== t) {
            map.set(k, next);
            old.push(t);
          }
        }
      }
    }
    disposeMany(old);
    return this;
  }

  /** Frees every parameter and buffer now (the module is unusable afterwards). Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    disposeMany([...this.parameters(), ...this.buffers()]);
    for (const m of this.modules()) {
      m.#disposed = true;
      m.releaseNative();
    }
  }

  /**
   * Frees native state a layer holds beside its tensors (e.g. a convolution plan's reordered
   * weights); called once for every module of a tree that `dispose()` frees. Default: none.
   */
  protected releaseNative(): void {}

  /** `dispose()`, for `using layer = new Linear(4, 2)`: the module is freed when the block ends. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Whether `dispose()` has freed this module (itself or through a parent); its tensors are gone, so it cannot run again. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** One line per module: path, class and parameter count (for logs and debugging). */
  toString(): string {
    return this.namedModules()
      .map(([path, m]) => {
        const n = m.parameters({ recurse: false }).reduce((a, p) => a + p.numel, 0);
        return `${path || '(root)'}: ${m.constructor.name}${n ? ` (${n} params)` : ''}`;
      })
      .join('\n');
  }
}
