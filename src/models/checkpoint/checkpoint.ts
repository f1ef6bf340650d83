/**
 * Checkpoints: everything a run needs to continue or to predict, in ONE safetensors file
 * (written atomically, so a kill at any moment leaves the previous checkpoint intact).
 * Tensors are namespaced `model.*`, `ema.*`, `optimizer.<param>.<key>`; everything else
 * (architecture, class list, epoch/step, optimiser hyperparameters and step counts, chosen
 * crop boxes, metrics) is JSON in the file's `__metadata__` under `finegrain`. A readable copy
 * of that JSON is written beside it for people (`<name>.json`), but the safetensors file is
 * the authority.
 *
 * @example
 *   saveCheckpoint('runs/a/last.safetensors', { model, optimizer, meta });
 *   const ckpt = loadCheckpoint('runs/a/last.safetensors');
 *   model.loadStateDict(ckpt.model); optimizer.loadStateDict(ckpt.optimizer!);
 *   ckpt.dispose();
 */
import { loadSafetensors, saveSafetensors } from '../../io/safetensors/index.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { weightsFormat } from '../../io/weights-file.js';
import { existsSync } from 'node:fs';
import { CHECKPOINT_FORMAT, CheckpointError, parseCheckpointMeta, type CheckpointMeta } from './meta.js';
import type { Module, StateDict } from '../../nn/module.js';
import type { AnyOptimizer, OptimizerStateDict } from '../../optim/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { scope } from '../../tensor/scope.js';
import { OPTIMIZER_PREFIX, flattenOptimizerState, restoreOptimizerState, type OptimizerStateJson } from './optimizer-state.js';

export { CHECKPOINT_FORMAT, CheckpointError, parseCheckpointMeta, type CheckpointMeta } from './meta.js';

/** A finegrain run checkpoint as `loadCheckpoint` reads it. The caller owns its tensors: free them with `dispose()`. */
export interface Checkpoint {
  /** What the run was: architecture, classes, preprocessing, epoch and step. */
  meta: CheckpointMeta;
  /** The model's trained weights, for `Module.loadStateDict`. */
  model: StateDict;
  /** The EMA weights, when the run kept an average; else null. */
  ema: StateDict | null;
  /** The optimiser's state, for `Optimizer.loadStateDict` on resume; null when none was saved. */
  optimizer: OptimizerStateDict | null;
  /** Frees every tensor the checkpoint holds. */
  dispose(): void;
}

/** What `saveCheckpoint` writes. */
export interface SaveCheckpointInput {
  /** The model whose state dict is saved. */
  model: Module;
  /** The EMA shadow model, if the run keeps one. */
  ema?: Module | null;
  /** The optimiser, for an exact resume. */
  optimizer?: AnyOptimizer | null;
  /** The run's metadata (`format` is filled in). */
  meta: CheckpointMeta;
}

/**
 * Writes a run checkpoint: one safetensors file (model, EMA and optimiser tensors; the rest as
 * JSON metadata), written atomically, plus a readable `<name>.json` copy of the metadata.
 *
 * @example
 *   saveCheckpoint('runs/a/checkpoints/last.safetensors', { model, optimizer, meta });
 */
export function saveCheckpoint(path: string, input: SaveCheckpointInput): void {
  scope(() => {
    const tensors: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(input.model.stateDict())) tensors[`model.${k}`] = t;
    if (input.ema) for (const [k, t] of Object.entries(input.ema.stateDict())) tensors[`ema.${k}`] = t;
    let optimizer: OptimizerStateJson | null = null;
    if (input.optimizer) {
      const flat = flattenOptimizerState(input.optimizer.stateDict());
      Object.assign(tensors, flat.tensors);
      optimizer = flat.json;
    }
    const meta = { ...input.meta, format: CHECKPOINT_FORMAT };
    saveSafetensors(path, tensors, { finegrain: JSON.stringify({ meta, optimizer }) });
    // The readable copy; written after the real file, atomically too.
    writeFileAtomic(path.replace(/\.safetensors$/, '') + '.json', JSON.stringify(meta, null, 2));
  });
}

/**
 * Reads a run checkpoint, validating its metadata; a damaged or foreign file (a PyTorch
 * checkpoint, a safetensors file without finegrain metadata) throws a CheckpointError that
 * says what it is.
 *
 * @example
 *   const ckpt = loadCheckpoint('runs/a/checkpoints/last.safetensors');
 *   model.loadStateDict(ckpt.model);
 *   ckpt.dispose();
 */
export function loadCheckpoint(path: string): Checkpoint {
  if (existsSync(path) && weightsFormat(path) === 'torch') {
    // A PyTorch checkpoint holds weights but not what a run checkpoint adds (architecture,
    // classes, preprocessing): it starts a run instead of continuing one.
    throw new CheckpointError(
      `${path} is a PyTorch checkpoint, not a finegrain run checkpoint: use it as pretrained weights (train --pretrained ${path}, createModel(name, { pretrained: '${path}' })), or convert it with finegrain convert`,
    );
  }
  const { tensors, metadata } = loadSafetensors(path);
  const all = Object.values(tensors);
  const fail = (msg: string): never => {
    for (const t of all) t.dispose();
    throw new CheckpointError(`${path}: ${msg}`);
  };
  let parsed: { meta: unknown; optimizer: OptimizerStateJson | null };
  try {
    parsed = JSON.parse(metadata?.finegrain ?? 'null');
  } catch {
    return fail('its finegrain metadata is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object') return fail(`not a finegrain checkpoint (expected metadata format ${CHECKPOINT_FORMAT})`);
  let meta: CheckpointMeta;
  try {
    meta = parseCheckpointMeta(parsed.meta, path);
  } catch (e) {
    for (const t of all) t.dispose();
    throw e;
  }
  const model: StateDict = {};
  const ema: StateDict = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith('model.')) model[name.slice(6)] = t;
    else if (name.startsWith('ema.')) ema[name.slice(4)] = t;
    else if (!name.startsWith(OPTIMIZER_PREFIX)) return fail(`unexpected tensor '${name}'`);
  }
  const optimizer: OptimizerStateDict | null = parsed.optimizer ? restoreOptimizerState(tensors, parsed.optimizer) : null;
  return {
    meta,
    model,
    ema: Object.keys(ema).length ? ema : null,
    optimizer,
    dispose: () => {
      for (const t of all) t.dispose();
    },
  };
}
