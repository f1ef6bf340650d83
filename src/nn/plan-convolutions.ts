/**
 * Runs the convolutions of an inference copy as oneDNN plans (layers/planned-conv2d.ts): each
 * plain `Conv2d` is replaced by a `PlannedConv2d` sharing its weights, and where the only
 * module that receives the convolution's output is a ReLU, ReLU6, SiLU or Hardswish, that
 * activation moves into the convolution (a oneDNN post-op on the accumulator) and its place is
 * taken by an Identity — or, when that activation module also serves other uses (resnet's
 * blocks call one ReLU twice), by a `FusedActivationPass` that lets the fused outputs through
 * and activates the rest. Applying the activation before the output is rounded to bfloat16,
 * rather than after, changes nothing for ReLU/ReLU6 (rounding is monotone and 0 and 6 are
 * exact) and at most one rounding step for SiLU/Hardswish.
 *
 * Which activation consumes which convolution is read off one traced forward pass, as the
 * batch-norm fold does (trace-calls.ts): a convolution is fused only when it ran once, no
 * other module received its output before the activation (an Identity left by the fold passes
 * it through; after an in-place activation the later receivers of the same tensor see the
 * activated value), and nothing changed it in place in between (the version counters say: a
 * residual block's `add_` before its activation). A convolution that ran more than once is
 * planned without fusion. A functional use of a convolution's output is invisible to the
 * trace, so the model's logits are compared before and after, and every change is undone if
 * they moved.
 *
 * Each plan frees the convolution's plain weight after its first run (during that check),
 * keeping only its reordered copy: one copy of the weights in memory, not two
 * (`releasePlainWeight: false` keeps both). Undoing rebuilds the plain weights from the plans.
 *
 * For eval-mode inference copies on the CPU only (prepare-for-inference.ts calls it); a no-op
 * when the addon was built without oneDNN. Run it in the precision the model will run in
 * (inside `autocast` for bfloat16 weights).
 *
 * @example
 *   const report = autocast({ deviceType: 'cpu' }, () => planConvolutions(model, randn([1, 3, 224, 224])));
 *   report.fusedActivations; // 35 for mobilenet_v2
 */
import { noGrad } from '../autograd/grad-mode.js';
import { scope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { Hardswish, ReLU, ReLU6, SiLU } from './layers/activations.js';
import { Conv2d } from './layers/conv2d.js';
import { FusedActivationPass } from './layers/fused-activation-pass.js';
import { Identity } from './layers/identity.js';
import { PlannedConv2d, type ConvPostOp } from './layers/planned-conv2d.js';
import type { Module } from './module.js';
import { callCounts, traceCalls, type Call } from './trace-calls.js';

/** What `planConvolutions` changed. */
export interface ConvPlanReport {
  /** Convolutions now run as plans. */
  plannedConvolutions: number;
  /** Activations fused into the convolution before them. */
  fusedActivations: number;
}

/** Options of `planConvolutions`. */
export interface PlanConvolutionsOptions {
  /** Largest change of the logits accepted, relative to the largest logit (see planConvolutions). */
  tolerance?: number;
  /** Free each convolution's plain weight once its plan has the reordered copy (default true). */
  releasePlainWeight?: boolean;
}

const POST_OPS = new Map<unknown, ConvPostOp>([
  [ReLU, 'relu'],
  [ReLU6, 'relu6'],
  [SiLU, 'silu'],
  [Hardswish, 'hardswish'],
]);

interface Replacement {
  convPath: string;
  conv: Conv2d;
  post: ConvPostOp;
  actPath: string | null;
  act: Module | null;
  /** The activation module serves other uses too: it stays, passing fused outputs through. */
  shared: boolean;
}

function plannable(m: Module): m is Conv2d {
  // Exact class only: a subclass may compute something else with the same weights.
  if (m.constructor !== Conv2d) return false;
  const w = (m as Conv2d).weight;
  return w.device === 'cpu' && (w.dtype === 'float32' || w.dtype === 'bfloat16') && (m as Conv2d).bias?.dtype !== 'float16';
}

function replacementsOf(model: Module, calls: readonly Call[]): Replacement[] {
  const count = callCounts(calls);
  const pathOf = new Map(model.namedModules().map(([p, m]) => [m, p] as const));
  // Who received each tensor object, leaving out Identities (they hand it on unchanged).
  const receivers = new Map<unknown, Call[]>();
  for (const c of calls) {
    if (c.module.constructor === Identity) continue;
    const list = receivers.get(c.input) ?? [];
    list.push(c);
    receivers.set(c.input, list);
  }
  const out: Replacement[] = [];
  const seen = new Set<Module>();
  for (const c of calls) {
    const conv = c.module;
    if (seen.has(conv) || !plannable(conv)) continue;
    seen.add(conv);
    const convPath = pathOf.get(conv);
    if (!convPath) continue;
    const next = count.get(conv) === 1 ? receivers.get(c.output) : undefined;
    // The first module to receive the output may take the activation, if it is the only one
    // to see the value before activation: the only receiver at all, or an in-place activation
    // (it returns the very tensor it got), after which every later receiver sees the
    // activated value, which is what the fused convolution returns.
    const first = next?.[0];
    const inPlace = first !== undefined && first.output === first.input;
    // Nothing may have changed the output in place on its way (a residual's add_ before the
    // block's activation): the activation must see exactly what the convolution returned.
    const untouched = first !== undefined && first.inputVersion === c.outputVersion;
    const act = first && untouched && (next!.length === 1 || inPlace) ? first.module : null;
    const post = act ? POST_OPS.get(act.constructor) : undefined;
    const actPath = act && post ? pathOf.get(act) : undefined;
    if (act && post && actPath) out.push({ convPath, conv, post, actPath, act, shared: count.get(act) !== 1 });
    else out.push({ convPath, conv, post: 'none', actPath: null, act: null, shared: false });
  }
  return out;
}

/**
 * Plans every plain convolution of the eval-mode `model`, traced on `sample`; returns what it
 * did (all zero, model untouched, when oneDNN is unavailable or the check of the logits fails).
 * `tolerance` is relative to the largest logit (default 1e-4 for float32 weights, 2e-2 for
 * bfloat16, where the kernels' summation order may differ in the last bits).
 */
export function planConvolutions(model: Module, sample: Tensor, options: PlanConvolutionsOptions = {}): ConvPlanReport {
  const none = { plannedConvolutions: 0, fusedActivations: 0 };
  if (model.training) throw new Error('planConvolutions: the model is in training mode; plans are for eval-mode inference copies');
  if (!PlannedConv2d.available()) return none;
  return noGrad(() => {
    const { replacements, before } = scope(() => {
      const { calls, logits } = traceCalls(model, sample);
      return { replacements: replacementsOf(model, calls), before: logits };
    });
    if (!replacements.length) {
      before.dispose();
      return none;
    }
    // Read before the plans run: running frees the convolutions' plain weights.
    const reduced = replacements.some((r) => r.conv.weight.dtype === 'bfloat16');
    const planned: PlannedConv2d[] = [];
    const passes = new Set<string>();
    let kept = false;
    try {
      for (const r of replacements) {
        const p = new PlannedConv2d(r.conv, r.post, { markOutputs: r.shared, releasePlainWeight: options.releasePlainWeight !== false });
        planned.push(p);
        model.setSubmodule(r.convPath, p);
        if (r.actPath && !r.shared) model.setSubmodule(r.actPath, new Identity());
        if (r.actPath && r.shared && !passes.has(r.actPath)) {
          model.setSubmodule(r.actPath, new FusedActivationPass(r.act!, r.post));
          passes.add(r.actPath);
        }
      }
      const after = scope(() => model.forward(sample).float().keep());
      const magnitude = scope(() => Math.max(1, before.abs().max().item()));
      const moved = scope(() => after.sub(before).abs().max().item());
      after.dispose();
      kept = moved <= (options.tolerance ?? (reduced ? 2e-2 : 1e-4)) * magnitude;
    } finally {
      before.dispose();
      if (!kept) {
        // Undo (the logits moved, or something threw): the original layers back in place, with
        // their weights rebuilt from the plans where a plan freed them, then the plans'
        // native memory freed.
        replacements.forEach((r, i) => {
          const p = planned[i];
          if (p && p.weight === null) r.conv.registerParameter('weight', p.plainWeight());
          model.setSubmodule(r.convPath, r.conv);
          if (r.actPath && r.act) model.setSubmodule(r.actPath, r.act);
        });
        for (const p of planned) p.releasePlan();
      }
    }
    return kept ? { plannedConvolutions: replacements.length, fusedActivations: replacements.filter((r) => r.actPath).length } : none;
  });
}
