/**
 * Dynamic loss scaling for float16 training (torch.cuda.amp.GradScaler, PyTorch 1.13):
 * the loss is multiplied by a large scale so small float16 gradients do not underflow; the
 * gradients are divided by it again before the optimiser step; a step whose gradients hold
 * an inf or NaN is skipped and the scale backs off; after `growthInterval` clean steps in a
 * row the scale grows.
 *
 * On CUDA it uses libtorch's fused `_amp_*` kernels (no host sync until `step()` checks for
 * infs, as in PyTorch); elsewhere the same logic runs with ordinary operators, so CPU runs
 * behave identically.
 *
 * @example
 *   const scaler = new GradScaler();
 *   for (const batch of batches) scope(() => {
 *     opt.zeroGrad();
 *     const loss = autocast({ deviceType: 'cuda', dtype: 'float16' }, () => lossOf(batch));
 *     scaler.scale(loss).backward();
 *     scaler.unscale_(opt);               // optional: only to clip or inspect true gradients
 *     clipGradNorm_(params, 1);
 *     scaler.step(opt);                   // skipped if a gradient is inf/NaN
 *     scaler.update();
 *   });
 */
import { noGrad } from '../autograd/grad-mode.js';
import { aten } from '../native/aten.js';
import { full, zeros } from '../tensor/creation.js';
import { scope } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import type { AnyOptimizer } from './optimizer.js';

/** Options of `GradScaler`, with PyTorch's defaults. */
export interface GradScalerOptions {
  /** Starting scale (default 2^16). */
  initScale?: number;
  /** Multiplies the scale after `growthInterval` steps without inf/NaN (default 2). */
  growthFactor?: number;
  /** Multiplies the scale after a step with inf/NaN (default 0.5). */
  backoffFactor?: number;
  /** Clean steps in a row before the scale grows (default 2000). */
  growthInterval?: number;
  /** false makes every method a pass-through (default true). */
  enabled?: boolean;
}

/** The scaler's state as plain numbers (what PyTorch's GradScaler.state_dict() holds). */
export interface GradScalerState {
  /** The current loss scale. */
  scale: number;
  /** Multiplies the scale after `growthInterval` clean steps. */
  growthFactor: number;
  /** Multiplies the scale after a step with inf/NaN gradients. */
  backoffFactor: number;
  /** Clean steps in a row before the scale grows. */
  growthInterval: number;
  /** Clean steps in a row so far (reset by growth and by backoff). */
  growthTracker: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';

interface PerOptimizer {
  stage: Stage;
  /** One float tensor per device: nonzero when a gradient there was inf or NaN. */
  foundInf: Tensor[];
}

/**
 * Dynamic loss scaling for float16 training (torch.cuda.amp.GradScaler): scales the loss up
 * so that small float16 gradients do not underflow, unscales the gradients before the
 * optimiser step, skips steps whose gradients overflowed, and adapts the scale. Not needed
 * with bfloat16, whose range is float32's.
 *
 * @example
 *   const scaler = new GradScaler();
 *   scaler.scale(loss).backward();
 *   scaler.step(opt);
 *   scaler.update();
 */
export class GradScaler {
  private readonly enabled: boolean;
  private initScale: number;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private initGrowthTracker = 0;
  /** float32 [1] on the device of the first scaled output; created lazily as in PyTorch. */
  private scaleTensor: Tensor | null = null;
  /** int32 [1]: clean steps in a row since the last growth or backoff. */
  private growthTracker: Tensor | null = null;
  private perOptimizer = new Map<object, PerOptimizer>();

  constructor(options: GradScalerOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.initScale = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    if (!(this.growthFactor > 1)) throw new RangeError(`GradScaler: growthFactor must be > 1, got ${this.growthFactor}`);
    if (!(this.backoffFactor < 1)) throw new RangeError(`GradScaler: backoffFactor must be < 1, got ${this.backoffFactor}`);
    if (!Number.isInteger(this.growthInterval) || this.growthInterval < 1)
      throw new RangeError(`GradScaler: growthInterval must be a positive integer, got ${this.growthInterval}`);
  }

  /** Whether scaling is on. @example if (scaler.isEnabled()) log(scaler.getScale()); */
  isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * `outputs` (usually the loss) times the current scale: new tensors in the current scope.
   * @example scaler.scale(loss).backward();
   */
  scale(outputs: Tensor): Tensor;
  scale(outputs: Tensor[]): Tensor[];
  scale(outputs: Tensor | Tensor[]): Tensor | Tensor[] {
    if (!this.enabled) return outputs;
    const list = Array.isArray(outputs) ? outputs : [outputs];
    if (list.length && !this.scaleTensor) this.lazyInit(list[0]!.device);
    const scaled = scope(() => list.map((t) => t.mul(this.scaleOn(t.device))));
    return Array.isArray(outputs) ? scaled : scaled[0]!;
  }

  /**
   * Divides the optimiser's gradients by the scale in place and records whether any is
   * inf/NaN. Call at most once per optimiser between `update()`s, after all backward passes.
   * @example scaler.unscale_(opt); clipGradNorm_(params, 1);
   */
  unscale_(optimizer: AnyOptimizer): void {
    if (!this.enabled) return;
    const scale = this.checkInitialised('unscale_');
    const st = this.stateOf(optimizer);
    if (st.stage === 'unscaled') throw new Error('GradScaler: unscale_() has already been called on this optimizer since the last update()');
    if (st.stage === 'stepped') throw new Error('GradScaler: unscale_() is being called after step()');
    noGrad(() => {
      // The reciprocal in float64 then float32, as PyTorch computes it.
      const invScale = scope(() => scale.double().reciprocal().float());
      const foundInf: Tensor[] = [];
      scope(() => {
        // Grouped by device and dtype: the fused kernel needs one of each per call.
        const groups = new Map<string, Tensor[]>();
        for (const group of optimizer.paramGroups) {
          for (const p of group.params) {
            const g = p.grad;
            if (!g) continue;
            if (g.dtype === 'float16')
              throw new TypeError('GradScaler: attempting to unscale float16 gradients; keep parameters in float32 and autocast to float16');
            const key = `${g.device}|${g.dtype}`;
            const list = groups.get(key);
            if (list) list.push(g);
            else groups.set(key, [g]);
          }
        }
        const perDevice = new Map<string, { found: Tensor; inv: Tensor }>();
        for (const grads of groups.values()) {
          const device = grads[0]!.device;
          let d = perDevice.get(device);
          if (!d) {
            d = { found: zeros([1], { device }).keep(), inv: invScale.to({ device }) };
            perDevice.set(device, d);
            foundInf.push(d.found);
          }
          checkAndUnscale(grads, d.found, d.inv);
        }
      });
      invScale.dispose();
      st.foundInf = foundInf;
    });
    st.stage = 'unscaled';
  }

  /**
   * Unscales the gradients (unless `unscale_` did) and runs `optimizer.step()` unless a
   * gradient is inf/NaN. Returns whether the step ran.
   * @example const stepped = scaler.step(opt);
   */
  step(optimizer: AnyOptimizer): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    this.checkInitialised('step');
    const st = this.stateOf(optimizer);
    if (st.stage === 'stepped') throw new Error('GradScaler: step() has already been called since the last update()');
    if (st.stage === 'ready') this.unscale_(optimizer);
    let found = 0;
    for (const f of st.foundInf) found += f.item();
    const run = found === 0;
    if (run) optimizer.step();
    st.stage = 'stepped';
    return run;
  }

  /**
   * Adjusts the scale at the end of an iteration: backs off if any step this iteration met
   * inf/NaN gradients, grows after `growthInterval` clean iterations. `newScale` sets it instead.
   * @example scaler.update();
   */
  update(newScale?: number | Tensor): void {
    if (!this.enabled) return;
    const scale = this.checkInitialised('update');
    const tracker = this.growthTracker!;
    noGrad(() =>
      scope(() => {
        if (newScale !== undefined) {
          if (newScale instanceof Tensor) {
            if (newScale.numel !== 1 || newScale.requiresGrad)
              throw new TypeError('GradScaler.update: newScale must be a number or a one-element tensor without grad');
            scale.copy_(newScale.reshape([1]));
          } else {
            scale.fill_(newScale);
          }
          return;
        }
        const founds = [...this.perOptimizer.values()].flatMap((s) => s.foundInf);
        if (founds.length === 0) throw new Error('GradScaler: no inf checks were recorded before update(); call step() (or unscale_()) first');
        let combined = founds[0]!.to({ device: scale.device, copy: true });
        for (const f of founds.slice(1)) combined = combined.add(f.to({ device: scale.device }));
        if (scale.device.startsWith('cuda')) {
          aten('_amp_update_scale_').callVoid(scale.handle, tracker.handle, combined.handle, this.growthFactor, this.backoffFactor, this.growthInterval);
        } else {
          const [s, t] = nextScale(scale.item(), tracker.item(), combined.item() !== 0, this.growthFactor, this.backoffFactor, this.growthInterval);
          scale.fill_(s);
          tracker.fill_(t);
        }
      }),
    );
    this.resetPerOptimizer();
  }

  /** The current scale (the initial one before the first `scale()`; 1 when disabled). @example log('loss scale', scaler.getScale()); */
  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleTensor ? this.scaleTensor.item() : this.initScale;
  }

  /** Clean steps in a row counted towards the next growth. @example scaler.getGrowthTracker(); // 0..growthInterval-1 */
  getGrowthTracker(): number {
    if (!this.enabled) return 0;
    return this.growthTracker ? this.growthTracker.item() : this.initGrowthTracker;
  }

  /**
   * The state to save with a checkpoint (plain numbers); empty when disabled.
   * @example writeFileSync('scaler.json', JSON.stringify(scaler.stateDict()));
   */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.enabled) return {};
    return {
      scale: this.getScale(),
      growthFactor: this.growthFactor,
      backoffFactor: this.backoffFactor,
      growthInterval: this.growthInterval,
      growthTracker: this.getGrowthTracker(),
    };
  }

  /**
   * Restores a `stateDict()`.
   * @example scaler.loadStateDict(JSON.parse(readFileSync('scaler.json', 'utf8')));
   */
  loadStateDict(state: GradScalerState | Record<string, never>): void {
    if (!this.enabled) return;
    if (!state || !('scale' in state)) throw new Error('GradScaler.loadStateDict: the state is empty, possibly saved from a disabled GradScaler');
    this.initScale = state.scale;
    this.growthFactor = state.growthFactor;
    this.backoffFactor = state.backoffFactor;
    this.growthInterval = state.growthInterval;
    this.initGrowthTracker = state.growthTracker;
    this.scaleTensor?.fill_(state.scale);
    this.growthTracker?.fill_(state.growthTracker);
  }

  /** Frees the scale tensors and any pending inf checks. @example scaler.dispose(); */
  dispose(): void {
    this.resetPerOptimizer();
    this.scaleTensor?.dispose();
    this.growthTracker?.dispose();
    this.scaleTensor = this.growthTracker = null;
  }

  /** `dispose()`, for `using scaler = new GradScaler()`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  private lazyInit(device: string): void {
    this.scaleTensor = full([1], this.initScale, { dtype: 'float32', device }).keep();
    this.growthTracker = full([1], this.initGrowthTracker, { dtype: 'int32', device }).keep();
  }

  private scaleOn(device: string): Tensor {
    const s = this.scaleTensor!;
    return s.device === device ? s : s.to({ device });
  }

  private checkInitialised(what: string): Tensor {
    if (!this.scaleTensor) throw new Error(`GradScaler: ${what}() called before any scale(); scale the loss with scaler.scale(loss) earlier in the iteration`);
    return this.scaleTensor;
  }

  private stateOf(optimizer: object): PerOptimizer {
    let s = this.perOptimizer.get(optimizer);
    if (!s) this.perOptimizer.set(optimizer, (s = { stage: 'ready', foundInf: [] }));
    return s;
  }

  private resetPerOptimizer(): void {
    for (const s of this.perOptimizer.values()) for (const f of s.foundInf) f.dispose();
    this.perOptimizer.clear();
  }
}

/**
 * Sets found[0] to 1 if any gradient holds an inf or NaN, and multiplies every gradient by
 * invScale (torch._amp_foreach_non_finite_check_and_unscale_, which libtorch 1.13 has for CUDA only).
 */
function checkAndUnscale(grads: Tensor[], found: Tensor, invScale: Tensor): void {
  if (grads[0]!.device.startsWith('cuda')) {
    aten('_amp_foreach_non_finite_check_and_unscale_').callVoid(
      grads.map((g) => g.handle),
      found.handle,
      invScale.handle,
    );
    return;
  }
  scope(() => {
    const finite = grads.map((g) => g.isfinite().all());
    const allFinite = finite.reduce((a, b) => a.logicalAnd(b));
    found.copy_(found.ne(0).logicalOr(allFinite.logicalNot()));
    for (const g of grads) g.mul_(invScale);
  });
}

/**
 * The scale update of libtorch's `_amp_update_scale_` kernel, in float32 as it stores it:
 * [new scale, new growth tracker].
 */
function nextScale(scale: number, tracker: number, foundInf: boolean, growth: number, backoff: number, interval: number): [number, number] {
  if (foundInf) return [Math.fround(scale * backoff), 0];
  const successful = tracker + 1;
  if (successful !== interval) return [scale, successful];
  const grown = Math.fround(scale * growth);
  // Never grow past float32's range to inf.
  return [Number.isFinite(grown) ? grown : scale, 0];
}
