/**
 * Exponential moving average of a model's weights (Polyak averaging), which usually
 * evaluates better than the raw weights at the end of training: after each optimiser step,
 * `ema = decay * ema + (1 - decay) * weights`; buffers (BatchNorm statistics) are copied.
 * The decay warms up as `min(decay, (1 + n) / (10 + n))` so early averages are not dominated
 * by the random initialisation.
 *
 * @example
 *   const ema = new ModelEma(model, 0.999, () => createModel('resnet50', { numClasses: 200 }));
 *   // after optimizer.step():
 *   ema.update(model);
 *   // evaluate with ema.shadow (a model of the same architecture)
 */
import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import { scope } from '../tensor/scope.js';
import { isFloating } from '../tensor/dtype.js';

/**
 * An exponential moving average of a model's weights, updated after each optimiser step and
 * evaluated instead of the raw weights (timm's ModelEmaV2). Free it with `dispose()`.
 *
 * @example
 *   const ema = new ModelEma(model, 0.999, () => createModel('resnet50', { numClasses: 200 }));
 *   // after each optimizer.step():
 *   ema.update(model);
 *   // evaluate ema.shadow
 */
export class ModelEma {
  /** A copy of the model holding the averaged weights (eval mode, no gradients). */
  readonly shadow: Module;
  /** The decay per update, in (0, 1): 0.999 averages over roughly the last 1000 steps. */
  readonly decay: number;
  /** How many updates so far (the warm-up of the decay counts them). */
  updates = 0;

  /** `makeShadow` builds an empty model of the same architecture (its weights are overwritten). */
  constructor(model: Module, decay: number, makeShadow: () => Module) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`EMA decay must be in (0, 1), got ${decay}`);
    this.decay = decay;
    this.shadow = makeShadow();
    this.shadow.loadStateDict(model.stateDict());
    this.shadow.eval();
    this.shadow.requiresGrad_(false);
  }

  /** Folds the model's current weights into the average and copies its buffers; call it after each optimiser step. */
  update(model: Module): void {
    const d = Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
    this.updates++;
    const own = new Map(this.shadow.stateEntries());
    noGrad(() =>
      scope(() => {
        for (const [name, value] of model.stateEntries()) {
          const target = own.get(name);
          if (!target) throw new Error(`EMA: the shadow model has no '${name}' (different architecture?)`);
          // Trained weights are averaged; statistics and counters follow the model.
          const averaged = isFloating(value.dtype) && !name.endsWith('running_mean') && !name.endsWith('running_var');
          if (averaged) target.lerp_(value, 1 - d);
          else target.copy_(value);
        }
      }),
    );
  }

  /** Frees the shadow model. */
  dispose(): void {
    this.shadow.dispose();
  }
}
