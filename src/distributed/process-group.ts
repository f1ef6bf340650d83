/**
 * A process group: the workers of a data-parallel job, met through a rendezvous store, and the
 * collectives between them. It is libtorch's c10d underneath (TCPStore or FileStore, Gloo on CPU,
 * NCCL on CUDA), the same engine torch.distributed runs on.
 *
 * Every collective returns a Promise and keeps Node's event loop free while it waits: launched
 * in call order on the JS thread, waited for on a worker thread (see native/src/distributed.cc).
 * Tensors passed in are read and written by the collective until its Promise settles; leave them
 * alone (and undisposed) until then. Every collective is bounded by `timeoutMs`; a peer that died
 * or a timeout rejects with an Error naming this rank.
 *
 * @example
 *   const group = await initProcessGroup();          // RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
 *   const t = tensor([group.rank + 1]);
 *   await group.allReduce(t);                        // t is now [3] on both of 2 ranks
 *   const all = await group.allGather(t);            // [tensor, tensor], in rank order
 *   await group.barrier();
 *   group.destroy();
 */
import { noGrad } from '../autograd/grad-mode.js';
import { native } from '../native/binding.js';
import { cat } from '../tensor/join.js';
import { scope } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { DEFAULT_MASTER_PORT, launchEnv } from './launch-env.js';

/** 'gloo' runs on CPU tensors (and CUDA ones, through host copies); 'nccl' on CUDA tensors. */
export type Backend = 'gloo' | 'nccl';

/** How allReduce combines: 'avg' is a sum divided by the world size. */
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';

/**
 * Options of `initProcessGroup`; each defaults to the launcher's environment variable (torchrun's
 * names), so a worker started by torchrun or `finegrain train --nproc-per-node` needs none.
 */
export interface ProcessGroupOptions {
  /** Default 'gloo'. */
  backend?: Backend;
  /** Default: `RANK`. */
  rank?: number;
  /** Default: `WORLD_SIZE`. */
  worldSize?: number;
  /** Default: `LOCAL_RANK`, else the rank. */
  localRank?: number;
  /** Host of rank 0's TCP store. Default: `MASTER_ADDR`, else 127.0.0.1. */
  masterAddr?: string;
  /** Port of rank 0's TCP store. Default: `MASTER_PORT`, else 29500. */
  masterPort?: number;
  /** A file to meet through instead of TCP (one machine, or a shared file system). */
  storeFile?: string;
  /** Bound on the rendezvous and on each collective (default 5 minutes). */
  timeoutMs?: number;
}

/** Which backends this build of the addon has. */
export function distributedBackends(): {
  /** Whether Gloo (CPU collectives) is compiled in. */
  gloo: boolean;
  /** Whether NCCL (CUDA collectives) is compiled in. */
  nccl: boolean;
} {
  return native.distAvailable();
}

type NativeGroup = object;

/**
 * Runs a collective on many tensors as one per dtype and device: c10d's Gloo group reads a list
 * of tensors as one tensor per local device (all the same shape), so a list of differently
 * shaped tensors is flattened into one buffer, communicated, and copied back, as DDP's
 * `_broadcast_coalesced` does. One large message is also far cheaper than many small ones.
 */
async function coalesced(list: Tensor[], run: (handle: number) => Promise<void>): Promise<void> {
  if (list.length === 1 && list[0]!.isContiguous()) return run(list[0]!.handle);
  const groups = new Map<string, Tensor[]>();
  for (const t of list) {
    const key = `${t.dtype}/${t.device}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  for (const members of groups.values()) {
    const flat = scope(() => noGrad(() => cat(members.map((t) => t.reshape(-1)))).keep());
    try {
      await run(flat.handle);
      scope(() =>
        noGrad(() => {
          let offset = 0;
          for (const t of members) {
            t.copy_(flat.narrow(0, offset, t.numel).reshape(t.shape));
            offset += t.numel;
          }
        }),
      );
    } finally {
      flat.dispose();
    }
  }
}

/** A group of ranks; create it with `initProcessGroup`. */
export class ProcessGroup {
  #native: NativeGroup | null;
  // Shared by a group and its duplicates: each new one takes the next key prefix on the store.
  #family: { duplicates: number } = { duplicates: 0 };

  /** @internal use initProcessGroup */
  constructor(
    handle: NativeGroup,
    /** This process's rank in the group, 0 to `worldSize - 1`. */
    readonly rank: number,
    /** How many processes the group has. */
    readonly worldSize: number,
    /** This process's rank among those on its machine (picks its GPU on CUDA machines). */
    readonly localRank: number,
    /** The collective library: 'gloo' or 'nccl'. */
    readonly backend: Backend,
    /** Bound, in milliseconds, on each collective; past it the collective rejects. */
    readonly timeoutMs: number,
  ) {
    this.#native = handle;
  }

  /** The native group, for the gradient reducer. @internal */
  get nativeHandle(): NativeGroup {
    if (!this.#native) throw new Error(`rank ${this.rank}: the process group was destroyed`);
    return this.#native;
  }

  /** Reduces each tensor in place across ranks (default 'sum'); a list travels as one message. */
  async allReduce(tensors: Tensor | Tensor[], options: { op?: ReduceOp } = {}): Promise<void> {
    const list = Array.isArray(tensors) ? tensors : [tensors];
    const op = options.op ?? 'sum';
    const group = this.nativeHandle;
    await coalesced(list, (h) => native.distAllReduce(group, [h], op === 'avg' ? 'sum' : op));
    if (op === 'avg') noGrad(() => list.forEach((t) => t.div_(this.worldSize)));
  }

  /** Copies rank `root`'s values into each tensor on every rank (default root 0). */
  async broadcast(tensors: Tensor | Tensor[], options: { root?: number } = {}): Promise<void> {
    const list = Array.isArray(tensors) ? tensors : [tensors];
    const group = this.nativeHandle;
    await coalesced(list, (h) => native.distBroadcast(group, [h], options.root ?? 0));
  }

  /** Every rank's `tensor` (same shape everywhere), in rank order; the caller disposes them. */
  async allGather(tensor: Tensor): Promise<Tensor[]> {
    const handles: number[] = await native.distAllGather(this.nativeHandle, tensor.handle);
    return handles.map((h) => new Tensor(h));
  }

  /**
   * The sum of `tensor` over all ranks as a new tensor, **blocking** this thread until every
   * rank has sent (bounded by the timeout) and **differentiable**: its backward sums the
   * gradients over ranks the same way. For values needed within one forward or backward pass
   * (SyncBatchNorm2d's statistics), where a Promise cannot be awaited; use allReduce elsewhere.
   * Every rank must call it at the same point of the same computation.
   *
   * @example
   *   const total = group.sumOverRanks(localCounts);   // on 2 ranks: rank 0's + rank 1's
   */
  sumOverRanks(tensor: Tensor): Tensor {
    return new Tensor(native.distSumOverRanks(this.nativeHandle, tensor.handle));
  }

  /**
   * Another group of the same ranks, with its own connections and threads: its collectives
   * never wait behind this group's (SyncBatchNorm2d's blocking sums must not queue behind a
   * gradient bucket still in flight). Every rank must call it, in the same order. (NCCL
   * duplicates are built the same way but not yet run on a GPU.)
   *
   * @example
   *   const statsGroup = await group.duplicate();
   */
  async duplicate(): Promise<ProcessGroup> {
    const handle: NativeGroup = await native.distDuplicate(this.nativeHandle, ++this.#family.duplicates);
    const copy = new ProcessGroup(handle, this.rank, this.worldSize, this.localRank, this.backend, this.timeoutMs);
    copy.#family = this.#family;
    return copy;
  }

  /** Resolves once every rank reached it. */
  async barrier(): Promise<void> {
    await native.distBarrier(this.nativeHandle);
  }

  /** Releases the group (its threads and sockets) now. Idempotent. */
  destroy(): void {
    if (!this.#native) return;
    native.distDestroy(this.#native);
    this.#native = null;
  }

  /** `destroy()`, for `using group = await initProcessGroup()`. */
  [Symbol.dispose](): void {
    this.destroy();
  }
}

function checkRank(rank: number, worldSize: number): void {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`initProcessGroup: worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`initProcessGroup: rank must be in [0, ${worldSize}), got ${rank}`);
}

/**
 * Meets the other ranks and returns the group. Options default to torchrun's environment;
 * without `WORLD_SIZE` and without options it is a group of one (collectives are identities).
 * Rejects with an Error naming the rank when the store's port is taken, a rank does not arrive
 * within `timeoutMs`, or the backend is missing from this build.
 *
 * @example
 *   const group = await initProcessGroup({ backend: 'gloo', rank: 0, worldSize: 2, masterPort: 29400, timeoutMs: 30_000 });
 */
export async function initProcessGroup(options: ProcessGroupOptions = {}): Promise<ProcessGroup> {
  const env = launchEnv();
  const backend = options.backend ?? 'gloo';
  const worldSize = options.worldSize ?? env?.worldSize ?? 1;
  const rank = options.rank ?? env?.rank ?? 0;
  checkRank(rank, worldSize);
  const localRank = options.localRank ?? env?.localRank ?? rank;
  const timeoutMs = options.timeoutMs ?? 300_000;
  if (!(timeoutMs > 0)) throw new RangeError(`initProcessGroup: timeoutMs must be positive, got ${timeoutMs}`);
  const available = distributedBackends();
  if (!available[backend]) {
    const why = available.gloo
      ? `it has ${Object.keys(available)
          .filter((k) => available[k as Backend])
          .join(', ')}`
      : 'it has no distributed support at all';
    throw new Error(`initProcessGroup: this finegrain addon was built without the '${backend}' backend (${why})`);
  }
  const handle: NativeGroup = options.storeFile
    ? await native.distInit(backend, 'file', options.storeFile, 0, rank, worldSize, timeoutMs)
    : await native.distInit(
        backend,
        'tcp',
        options.masterAddr ?? env?.masterAddr ?? '127.0.0.1',
        options.masterPort ?? env?.masterPort ?? DEFAULT_MASTER_PORT,
        rank,
        worldSize,
        timeoutMs,
      );
  return new ProcessGroup(handle, rank, worldSize, localRank, backend, timeoutMs);
}
