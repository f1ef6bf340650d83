/**
 * Loading a state dict into a module's tensors: key matching, shape checks and the
 * strict/non-strict report. `Module.loadStateDict` is the public entry point.
 *
 * @example
 *   const report = model.loadStateDict(tensors, { strict: false });
 *   if (report.shapeMismatch.length) console.warn(formatLoadReport(report));
 */
import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';

/** A state dict as a plain object (what `loadSafetensors` returns) or a Map. */
export type StateDictInput = Record<string, Tensor> | ReadonlyMap<string, Tensor>;

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Throw unless the keys and shapes match exactly (default true). */
  strict?: boolean;
}

/** A state-dict entry whose shape differs from the module's tensor of the same name. */
export interface ShapeMismatch {
  /** The entry's dotted name. */
  key: string;
  /** The module's shape. */
  expected: number[];
  /** The shape in the dict. */
  got: number[];
}

/** What did not match; all empty after a successful strict load. */
export interface LoadStateDictReport {
  /** Keys of the module that the dict lacks (left unchanged). */
  missing: string[];
  /** Keys of the dict that the module lacks (ignored). */
  unexpected: string[];
  /** Keys present on both sides with different shapes (left unchanged). */
  shapeMismatch: ShapeMismatch[];
}

/**
 * The report as readable text, e.g. for an error message.
 *
 * @example
 *   formatLoadReport({ missing: ['fc.bias'], unexpected: [], shapeMismatch: [] });
 *   // 'missing keys: fc.bias'
 */
export function formatLoadReport(r: LoadStateDictReport): string {
  const parts: string[] = [];
  const list = (keys: string[]) => (keys.length > 8 ? `${keys.slice(0, 8).join(', ')}, … (${keys.length} in all)` : keys.join(', '));
  if (r.missing.length) parts.push(`missing keys: ${list(r.missing)}`);
  if (r.unexpected.length) parts.push(`unexpected keys: ${list(r.unexpected)}`);
  if (r.shapeMismatch.length) {
    const shown = r.shapeMismatch.slice(0, 8).map((m) => `${m.key} (module [${m.expected}], dict [${m.got}])`);
    parts.push(`shape mismatches: ${shown.join(', ')}${r.shapeMismatch.length > 8 ? ', …' : ''}`);
  }
  return parts.join('; ');
}

// Checkpoints written before BatchNorm counted its batches (and PyTorch state dicts saved
// without version metadata) lack `num_batches_tracked`; PyTorch fills it in rather than
// failing, and so do we: the module keeps its current count.
const OPTIONAL_SUFFIX = '.num_batches_tracked';

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Matches `entries` (the module's keys and tensors) against `dict` and copies what matches.
 * Strict mode validates everything before the first copy, so a failed load changes nothing.
 *
 * @example
 *   applyLoad(model.stateEntries(), tensors, { strict: false }, 'ResNet');
 */
export function applyLoad(entries: [string, Tensor][], dict: StateDictInput, options: LoadStateDictOptions, owner: string): LoadStateDictReport {
  const strict = options.strict ?? true;
  const source: ReadonlyMap<string, Tensor> = dict instanceof Map ? dict : new Map(Object.entries(dict));
  const report: LoadStateDictReport = { missing: [], unexpected: [], shapeMismatch: [] };
  const copies: [Tensor, Tensor][] = [];
  const known = new Set<string>();
  for (const [key, target] of entries) {
    known.add(key);
    const src = source.get(key);
    if (!src) {
      if (!key.endsWith(OPTIONAL_SUFFIX)) report.missing.push(key);
      continue;
    }
    const [expected, got] = [target.shape, src.shape];
    if (!sameShape(expected, got)) report.shapeMismatch.push({ key, expected, got });
    else copies.push([target, src]);
  }
  for (const key of source.keys()) if (!known.has(key)) report.unexpected.push(key);
  const failed = report.missing.length + report.unexpected.length + report.shapeMismatch.length > 0;
  if (strict && failed) throw new Error(`${owner}.loadStateDict: ${formatLoadReport(report)}`);
  noGrad(() => {
    for (const [target, src] of copies) target.copy_(src);
  });
  return report;
}
