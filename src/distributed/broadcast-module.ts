/**
 * Copies rank 0's parameters and buffers into every rank's module, as DistributedDataParallel
 * does at construction, so ranks that initialised differently (or loaded nothing) start equal.
 *
 * @example
 *   await broadcastModule(group, model);
 */
import type { Module } from '../nn/module.js';
import type { ProcessGroup } from './process-group.js';

/** Broadcasts every parameter and buffer of `module` from `root` (default rank 0). */
export async function broadcastModule(group: ProcessGroup, module: Module, options: { root?: number } = {}): Promise<void> {
  const tensors = [...module.parameters(), ...module.buffers()];
  if (group.worldSize === 1 || tensors.length === 0) return;
  await group.broadcast(tensors, { root: options.root ?? 0 });
}
