/** Data-parallel training on libtorch's c10d: process groups, collectives, the gradient reducer, synchronised BatchNorm. */
export { launchEnv, DEFAULT_MASTER_PORT, type LaunchEnv } from './launch-env.js';
export { initProcessGroup, distributedBackends, ProcessGroup, type Backend, type ReduceOp, type ProcessGroupOptions } from './process-group.js';
export { GRADIENT_COMPRESSIONS, GradientReducer, type GradientCompression, type GradientReducerOptions } from './gradient-reducer.js';
export { broadcastModule } from './broadcast-module.js';
export { SyncBatchNorm2d, convertSyncBatchNorm } from './sync-batch-norm.js';
export { shardOrder } from './shard.js';
