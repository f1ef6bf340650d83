/**
 * An optimiser's state in a safetensors file: its tensors (moments, momentum buffers) as
 * `optimizer.<param>.<key>` entries and its numbers (step counts) and hyperparameters as JSON,
 * and back. Run checkpoints and MAE pretraining checkpoints share this layout.
 *
 * @example
 *   const { tensors, json } = flattenOptimizerState(optimizer.stateDict());
 *   const sd = restoreOptimizerState(tensorsFromFile, json);   // for optimizer.loadStateDict(sd)
 */
import type { OptimizerStateDict } from '../../optim/index.js';
import type { Tensor } from '../../tensor/tensor.js';

/** The JSON half of a flattened optimiser state. */
export interface OptimizerStateJson {
  /** The parameter groups' hyperparameters. */
  paramGroups: OptimizerStateDict['paramGroups'];
  /** Numbers per parameter (e.g. `step`). */
  numbers: Record<string, Record<string, number>>;
}

/** The prefix of optimiser tensors in a file. */
export const OPTIMIZER_PREFIX = 'optimizer.';

/**
 * Splits a state dict into file tensors (`optimizer.<param>.<key>`) and JSON.
 *
 * @example
 *   const { tensors, json } = flattenOptimizerState(opt.stateDict());
 */
export function flattenOptimizerState(sd: OptimizerStateDict): { tensors: Record<string, Tensor>; json: OptimizerStateJson } {
  const tensors: Record<string, Tensor> = {};
  const numbers: Record<string, Record<string, number>> = {};
  for (const [param, state] of Object.entries(sd.state)) {
    for (const [key, v] of Object.entries(state)) {
      if (typeof v === 'number') (numbers[param] ??= {})[key] = v;
      else tensors[`${OPTIMIZER_PREFIX}${param}.${key}`] = v;
    }
  }
  return { tensors, json: { paramGroups: sd.paramGroups, numbers } };
}

/**
 * Rebuilds a state dict from a file's `optimizer.*` tensors (keys with the prefix) and its JSON.
 *
 * @example
 *   opt.loadStateDict(restoreOptimizerState(tensors, json));
 */
export function restoreOptimizerState(tensors: Record<string, Tensor>, json: OptimizerStateJson): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (!name.startsWith(OPTIMIZER_PREFIX)) continue;
    const rest = name.slice(OPTIMIZER_PREFIX.length);
    const dot = rest.indexOf('.');
    (state[rest.slice(0, dot)] ??= {})[rest.slice(dot + 1)] = t;
  }
  for (const [param, nums] of Object.entries(json.numbers)) Object.assign((state[param] ??= {}), nums);
  return { state, paramGroups: json.paramGroups };
}
