export { saveCheckpoint, loadCheckpoint, type Checkpoint, type SaveCheckpointInput } from './checkpoint.js';
export { CHECKPOINT_FORMAT, CheckpointError, parseCheckpointMeta, type CheckpointMeta } from './meta.js';
