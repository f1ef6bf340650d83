/**
 * Optimizer parameter groups with weight decay only where it helps: no decay on biases and
 * normalisation weights (every parameter with at most one dimension), as timm's
 * `param_groups_weight_decay` and most fine-tuning recipes do. Frozen parameters are left out.
 *
 * @example
 *   const groups = parameterGroups(model, { weightDecay: 1e-4 });
 *   // [{ params: [conv and linear weights], weightDecay: 1e-4 }, { params: [biases, norms], weightDecay: 0 }]
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

/** One group of `parameterGroups`: parameters that share a weight decay, ready for an optimiser. */
export interface ParameterGroup {
  /** The parameters. */
  params: Tensor[];
  /** The parameters' dotted names, in the same order (for logs and per-layer rules). */
  names: string[];
  /** The group's weight decay: the option's value, or 0 for the no-decay group. */
  weightDecay: number;
}

/** Options of `parameterGroups`. */
export interface ParameterGroupOptions {
  /** Weight decay of the decayed group (e.g. 1e-4 for SGD, 0.05 for AdamW). */
  weightDecay: number;
  /** Extra names to exempt from decay (e.g. position embeddings), besides all 1-D parameters. */
  noDecay?: (name: string, param: Tensor) => boolean;
}

/**
 * Splits the trainable parameters into a decayed group and a non-decayed one (empty groups
 * are dropped).
 *
 * @example
 *   parameterGroups(model, { weightDecay: 0.05, noDecay: (n) => n.endsWith('pos_embed') });
 */
export function parameterGroups(model: Module, options: ParameterGroupOptions): ParameterGroup[] {
  const decay: ParameterGroup = { params: [], names: [], weightDecay: options.weightDecay };
  const none: ParameterGroup = { params: [], names: [], weightDecay: 0 };
  for (const [name, p] of model.namedParameters()) {
    if (!p.requiresGrad) continue;
    const group = p.ndim <= 1 || name.endsWith('.bias') || options.noDecay?.(name, p) ? none : decay;
    group.params.push(p);
    group.names.push(name);
  }
  return [decay, none].filter((g) => g.params.length > 0);
}
