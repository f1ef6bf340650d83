/**
 * Data-parallel training on libtorch's c10d (`import { distributed } from 'finegrain'`):
 * process groups and their collectives, the gradient reducer that averages gradients across
 * ranks, synchronised BatchNorm, and the launch environment (`RANK`, `WORLD_SIZE`,
 * `MASTER_ADDR`, `MASTER_PORT`) that torchrun or `finegrain train --nproc-per-node` sets for
 * each worker.
 *
 * @module
 */
export { launchEnv, DEFAULT_MASTER_PORT, type LaunchEnv } from './launch-env.js';
export { initProcessGroup, distributedBackends, ProcessGroup, type Backend, type ReduceOp, type ProcessGroupOptions } from './process-group.js';
export { GRADIENT_COMPRESSIONS, GradientReducer, type GradientCompression, type GradientReducerOptions } from './gradient-reducer.js';
export { broadcastModule } from './broadcast-module.js';
export { SyncBatchNorm2d, convertSyncBatchNorm } from './sync-batch-norm.js';
export { shardOrder } from './shard.js';
