/**
 * The environment variables torchrun (and Slurm/Kubernetes job templates written for PyTorch)
 * set for each worker: `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `LOCAL_WORLD_SIZE`, `MASTER_ADDR`,
 * `MASTER_PORT`. finegrain reads the same names, so `torchrun --no-python ... finegrain train`
 * launches it without a wrapper.
 *
 * @example
 *   const env = launchEnv();            // null when not launched as a distributed worker
 *   if (env) console.log(`rank ${env.rank} of ${env.worldSize}`);
 */

/** Where this worker sits in the job, as the launcher described it. */
export interface LaunchEnv {
  /** This worker's rank in the job, 0 to `worldSize - 1` (`RANK`); rank 0 logs and saves. */
  rank: number;
  /** How many workers the job has, on every machine together (`WORLD_SIZE`). */
  worldSize: number;
  /** Rank among the workers on this machine (selects the GPU on CUDA machines). */
  localRank: number;
  /** How many workers run on this machine (`LOCAL_WORLD_SIZE`; default `worldSize`). */
  localWorldSize: number;
  /** Host of rank 0's rendezvous store (`MASTER_ADDR`; default 127.0.0.1). */
  masterAddr: string;
  /** TCP port of the rendezvous store (`MASTER_PORT`; default 29500, torchrun's). */
  masterPort: number;
}

/** torchrun's default rendezvous port. */
export const DEFAULT_MASTER_PORT = 29500;

function integer(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`environment variable ${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`);
  return value;
}

/**
 * Reads the launcher's variables; null when `WORLD_SIZE` is unset (a single-process run).
 * Missing `RANK` is an error once `WORLD_SIZE` is set, as in torch.distributed.
 *
 * @example
 *   launchEnv({ WORLD_SIZE: '2', RANK: '1', MASTER_PORT: '29400' });
 *   // { rank: 1, worldSize: 2, localRank: 1, localWorldSize: 2, masterAddr: '127.0.0.1', masterPort: 29400 }
 */
export function launchEnv(env: NodeJS.ProcessEnv = process.env): LaunchEnv | null {
  const worldSize = integer(env, 'WORLD_SIZE', 1);
  if (worldSize === undefined) return null;
  const rank = integer(env, 'RANK', 0);
  if (rank === undefined) throw new RangeError('WORLD_SIZE is set but RANK is not: set both (torchrun sets them for each worker)');
  if (rank >= worldSize) throw new RangeError(`RANK=${rank} must be below WORLD_SIZE=${worldSize}`);
  const localRank = integer(env, 'LOCAL_RANK', 0) ?? rank;
  const localWorldSize = integer(env, 'LOCAL_WORLD_SIZE', 1) ?? worldSize;
  const masterPort = integer(env, 'MASTER_PORT', 0) ?? DEFAULT_MASTER_PORT;
  if (masterPort > 65535) throw new RangeError(`MASTER_PORT=${masterPort} is not a TCP port`);
  return { rank, worldSize, localRank, localWorldSize, masterAddr: env.MASTER_ADDR || '127.0.0.1', masterPort };
}
