/**
 * The optimiser base (torch.optim.Optimizer): parameter groups with per-group
 * hyperparameters, per-parameter state, `zeroGrad()`, `step()` and a state dict that lets a
 * killed training run resume exactly.
 *
 * Memory: the optimiser owns its state tensors (momentum buffers, moments); they survive
 * every `scope()` and are freed by `dispose()` or `loadStateDict()`. `step()` frees its
 * temporaries before it returns.
 *
 * @example
 *   const opt = new SGD([{ params: backbone, lr: 0.01 }, { params: head }], { lr: 0.1, momentum: 0.9 });
 *   for (const batch of batches) {
 *     scope(() => {
 *       opt.zeroGrad();
 *       crossEntropy(model.forward(batch.x), batch.y).backward();
 *       opt.step();
 *     });
 *   }
 */
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { isFloating } from '../tensor/dtype.js';
import { scope } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';

/** A hyperparameter value: what survives JSON unchanged. */
export type HyperValue = number | boolean | number[];

/** A parameter group: its tensors and its hyperparameters (the optimiser's defaults where not given). */
export type ParamGroup<H> = H & {
  /** The group's parameters. */
  params: Tensor[];
};

/** What a constructor takes for one group: the tensors plus any hyperparameters to override. */
export type ParamGroupInput<H> = Partial<H> & {
  /** The group's parameters (leaf tensors, each in one group only). */
  params: Tensor[];
};

/** One parameter's state: tensors (moments, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * An optimiser's state as a plain object: tensors and JSON-able numbers, parameters named by
 * their index in group order (as in PyTorch's `state_dict()`).
 */
export interface OptimizerStateDict {
  /** Each parameter's state, keyed by the parameter's index in group order (parameters without state are absent). */
  state: Record<string, ParamState>;
  /** Each group's hyperparameters, with its parameters as indices into that order. */
  paramGroups: (Record<string, HyperValue> & {
    /** The group's parameters, as indices in group order. */
    params: number[];
  })[];
}

/**
 * Any optimiser, for code that steps, schedules or saves whichever one it is given (every
 * optimiser has a learning rate).
 *
 * @example
 *   function stepAll(optimizers: AnyOptimizer[]) { for (const o of optimizers) o.step(); }
 */
export type AnyOptimizer = Optimizer<{
  /** The learning rate, which every optimiser has. */
  lr: number;
}>;

/**
 * The base of every optimiser (torch.optim.Optimizer): parameter groups with their own
 * hyperparameters, per-parameter state, `zeroGrad()`, `step()`, and a state dict for resuming.
 * Subclasses implement `validate` and `updateGroup`. The optimiser owns its state tensors:
 * free them with `dispose()` (or `using`).
 *
 * @example
 *   const opt = new SGD([{ params: backbone, lr: 0.01 }, { params: head }], { lr: 0.1, momentum: 0.9 });
 */
export abstract class Optimizer<H extends { [K in keyof H]: HyperValue }> {
  /** The hyperparameters the optimiser was made with: what a group added later gets where it says nothing. */
  readonly defaults: Readonly<H>;
  /** The groups; change a group's hyperparameters (e.g. `lr`) between steps to schedule them. */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created by the first step that sees the parameter's gradient. */
  protected readonly state = new Map<Tensor, ParamState>();

  constructor(params: Tensor[] | ParamGroupInput<H>[], defaults: H) {
    this.validate(defaults);
    this.defaults = copyHyper(defaults);
    if (!Array.isArray(params)) throw new TypeError(`${this.constructor.name}: params must be an array of tensors or of parameter groups`);
    if (params.length === 0) throw new RangeError(`${this.constructor.name}: got an empty parameter list`);
    const groups = params.every((p) => p instanceof Tensor) ? [{ params: params as Tensor[] } as ParamGroupInput<H>] : (params as ParamGroupInput<H>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Checks hyperparameters (throws RangeError/TypeError); called for the defaults and each group. */
  protected abstract validate(hyper: H): void;

  /**
   * Updates `params` (those of `group` that have a gradient) in place from `grads`. Runs
   * under noGrad inside a scope: temporaries need no freeing, new state needs `keep()`.
   */
  protected abstract updateGroup(group: ParamGroup<H>, params: Tensor[], grads: Tensor[]): void;

  /**
   * Adds a group (e.g. layers unfrozen during fine-tuning); missing hyperparameters take the defaults.
   * @example opt.addParamGroup({ params: backbone, lr: 1e-4 });
   */
  addParamGroup(group: ParamGroupInput<H>): void {
    if (!group || !Array.isArray(group.params)) throw new TypeError(`${this.constructor.name}: a parameter group needs params: Tensor[]`);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of group.params) {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.constructor.name}: parameters must be Tensors`);
      if (!p.isLeaf)
        throw new TypeError(`${this.constructor.name}: can't optimize a non-leaf Tensor (one computed from others); optimise the leaf it came from`);
      if (seen.has(p)) throw new RangeError(`${this.constructor.name}: a parameter appears in more than one group (or twice in one)`);
      seen.add(p);
    }
    const { params, ...overrides } = group;
    const hyper = { ...copyHyper(this.defaults as H), ...copyHyper(overrides as unknown as H) } as H;
    this.validate(hyper);
    this.paramGroups.push({ ...hyper, params: [...params] });
  }

  /**
   * Clears the gradients before the next backward pass. By default they are freed (null),
   * which saves memory and a kernel; `setToNone = false` zeroes them in place instead.
   * @example opt.zeroGrad();
   */
  zeroGrad(setToNone = true): void {
    noGrad(() =>
      scope(() => {
        for (const group of this.paramGroups) {
          for (const p of group.params) {
            if (setToNone) {
              p.grad = null;
            } else {
              const g = p.grad;
              if (g) g.zero_();
            }
          }
        }
      }),
    );
  }

  /**
   * One update of every parameter that has a gradient (others are left alone, as in
   * PyTorch). `closure`, if given, recomputes the loss with gradients on and its result is returned.
   * @example opt.step();
   */
  step<T>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() =>
      scope(() => {
        for (const group of this.paramGroups) {
          const params: Tensor[] = [];
          const grads: Tensor[] = [];
          for (const p of group.params) {
            const g = p.grad;
            if (g === null) continue;
            params.push(p);
            grads.push(g);
          }
          if (params.length) this.updateGroup(group, params, grads);
        }
      }),
    );
    return loss;
  }

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  /**
   * The state to save: hyperparameters, step counts and state tensors. The tensors are new
   * handles on the optimiser's own buffers (as PyTorch's state_dict references them): save or
   * clone them before the next step, and dispose them (or let a scope) when done.
   * @example
   *   const sd = opt.stateDict();
   *   saveSafetensors('opt.safetensors', sd);   // or any format
   */
  stateDict(): OptimizerStateDict {
    // Parameters are numbered across groups in order, as PyTorch numbers them.
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map(({ params, ...hyper }) => ({
      ...copyHyper(hyper as unknown as H),
      params: params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      }),
    }));
    const state: Record<string, ParamState> = {};
    noGrad(() => {
      for (const [p, s] of this.state) {
        const i = index.get(p);
        if (i === undefined) continue;
        state[i] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof Tensor ? v.detach() : v]));
      }
    });
    return { state, paramGroups: paramGroups as OptimizerStateDict['paramGroups'] };
  }

  /**
   * Restores a state dict from `stateDict()` (of an optimiser over parameters of the same
   * shapes, in the same groups). Tensors are copied, in the parameter's dtype and device;
   * the caller keeps ownership of `sd`. Either everything loads or nothing changes.
   * @example
   *   const opt = new AdamW(model.parameters(), { lr: 1e-3 });
   *   opt.loadStateDict(loadedState);
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = this.constructor.name;
    if (!sd || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') throw new TypeError(`${name}.loadStateDict: expected { state, paramGroups }`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${name}.loadStateDict: the state dict has ${sd.paramGroups.length} parameter groups, the optimiser ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    sd.paramGroups.forEach((saved, gi) => {
      const mine = this.paramGroups[gi]!.params;
      if (saved.params.length !== mine.length) {
        throw new RangeError(`${name}.loadStateDict: group ${gi} has ${saved.params.length} parameters in the state dict, ${mine.length} in the optimiser`);
      }
      saved.params.forEach((idx, j) => byIndex.set(idx, mine[j]!));
    });
    const loaded = new Map<Tensor, ParamState>();
    try {
      noGrad(() => {
        for (const [key, saved] of Object.entries(sd.state)) {
          const p = byIndex.get(Number(key));
          if (!p) throw new RangeError(`${name}.loadStateDict: state for parameter ${key}, which no group lists`);
          const s: ParamState = {};
          loaded.set(p, s);
          for (const [k, v] of Object.entries(saved)) {
            if (typeof v === 'number') {
              s[k] = v;
              continue;
            }
            if (!(v instanceof Tensor)) throw new TypeError(`${name}.loadStateDict: state '${k}' of parameter ${key} is neither a Tensor nor a number`);
            if (v.shape.join() !== p.shape.join()) {
              throw new RangeError(`${name}.loadStateDict: state '${k}' of parameter ${key} has shape [${v.shape}], the parameter [${p.shape}]`);
            }
            // A copy in the parameter's dtype and device, as PyTorch's load_state_dict casts.
            s[k] = v.to({ dtype: isFloating(v.dtype) ? p.dtype : v.dtype, device: p.device, copy: true }).keep();
          }
        }
      });
    } catch (e) {
      disposeState(loaded);
      throw e;
    }
    let merged: H[];
    try {
      merged = sd.paramGroups.map((saved, gi) => {
        const h = { ...copyHyper(this.paramGroups[gi]! as unknown as H), ...copyHyper(saved as unknown as H) };
        this.validate(h);
        return h;
      });
    } catch (e) {
      disposeState(loaded);
      throw e;
    }
    merged.forEach((h, gi) => Object.assign(this.paramGroups[gi]!, h));
    disposeState(this.state);
    this.state.clear();
    for (const [p, s] of loaded) this.state.set(p, s);
  }

  /**
   * Frees the state tensors; the optimiser starts afresh (as if new) if stepped again.
   * @example opt.dispose(); // at the end of training, or `using opt = new SGD(...)`
   */
  dispose(): void {
    disposeState(this.state);
    this.state.clear();
  }

  /** `dispose()`, for `using opt = new SGD(...)`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function disposeState(state: Map<Tensor, ParamState>): void {
  for (const s of state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
}

/** A copy of the hyperparameters without `params` (arrays such as betas copied too). */
function copyHyper<H>(h: H): H {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    if (k === 'params' || v === undefined) continue;
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out as H;
}
