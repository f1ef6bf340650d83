/**
 * One forward pass with every module's calls recorded — which module received which tensor
 * object and returned which — in call order. The inference-copy passes (fold-batch-norm.ts,
 * plan-convolutions.ts) read the data flow between layers off it instead of off names, so
 * they work on any architecture of the zoo. A functional use of a layer's output (outside any
 * module) is invisible here: those passes check the model's logits after they change it.
 *
 * Each call also notes the version counters of its input and output, so a pass can tell
 * whether a tensor was changed in place (`add_`) between the module that made it and the
 * one that received it.
 *
 * Run it inside a scope: the traced intermediates are the scope's; only the logits are kept.
 *
 * @example
 *   const { calls, logits } = scope(() => traceCalls(model, randn([1, 3, 224, 224])));
 */
import { native } from '../native/binding.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

export interface Call {
  module: Module;
  input: unknown;
  output: unknown;
  /** The input's version counter when the module got it (-1 for a non-tensor input). */
  inputVersion: number;
  /** The output's version counter when the module returned it (-1 for a non-tensor output). */
  outputVersion: number;
}

/** A tensor's in-place version counter, or -1 for anything else. */
function versionOf(v: unknown): number {
  return v !== null && typeof v === 'object' && typeof (v as { handle?: unknown }).handle === 'number' ? native.version((v as Tensor).handle) : -1;
}

type Forward = (...args: unknown[]) => unknown;

/** Runs `model.forward(x)` with every module's calls recorded; the logits are float32 and kept. */
export function traceCalls(model: Module, x: Tensor): { calls: Call[]; logits: Tensor } {
  const calls: Call[] = [];
  const wrapped: Module[] = [];
  try {
    for (const m of model.modules()) {
      const own = m as unknown as { forward: Forward };
      const original = own.forward.bind(m) as Forward;
      own.forward = (...args: unknown[]) => {
        const call: Call = { module: m, input: args[0], output: undefined, inputVersion: versionOf(args[0]), outputVersion: -1 };
        calls.push(call);
        call.output = original(...args);
        call.outputVersion = versionOf(call.output);
        return call.output;
      };
      wrapped.push(m);
    }
    const logits = model.forward(x).float().keep();
    return { calls, logits };
  } finally {
    for (const m of wrapped) delete (m as unknown as { forward?: Forward }).forward;
  }
}

/** How many times each module ran in the trace. */
export function callCounts(calls: readonly Call[]): Map<Module, number> {
  const count = new Map<Module, number>();
  for (const c of calls) count.set(c.module, (count.get(c.module) ?? 0) + 1);
  return count;
}
