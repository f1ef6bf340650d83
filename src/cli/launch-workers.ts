/**
 * `--nproc-per-node N`: starts N local copies of the same command as data-parallel workers,
 * with the variables torchrun gives its workers (RANK, WORLD_SIZE, LOCAL_RANK,
 * LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), and waits for them. As torchrun does, the first
 * worker that fails brings the others down (SIGTERM, then SIGKILL after a grace period), and
 * the launcher exits with its status. Rank 0 keeps the terminal; the other ranks' stderr lines
 * are prefixed with their rank and their stdout is dropped (rank 0 prints the result). Each
 * worker gets cores / N threads unless OMP_NUM_THREADS or --threads says otherwise.
 *
 * With `--nnodes` > 1 use torchrun (or Slurm/Kubernetes) instead: finegrain reads the same
 * variables (src/distributed/launch-env.ts).
 *
 * @example
 *   process.exitCode = await launchWorkers(2, process.argv.slice(1).filter(...), { masterPort: 29500 });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, constants } from 'node:os';
import { DEFAULT_MASTER_PORT } from '../distributed/launch-env.js';

export interface LaunchOptions {
  masterAddr?: string;
  masterPort?: number;
  /** Milliseconds between SIGTERM and SIGKILL when a worker failed (default 10 s). */
  graceMs?: number;
}

function prefixLines(rank: number, out: NodeJS.WritableStream): (chunk: Buffer) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) out.write(`[rank ${rank}] ${line}\n`);
  };
}

/** Runs `node <args...>` as `nproc` workers; resolves with the job's exit status. */
export function launchWorkers(nproc: number, args: string[], options: LaunchOptions = {}): Promise<number> {
  if (!Number.isInteger(nproc) || nproc < 1) throw new RangeError(`--nproc-per-node must be a positive integer, got ${nproc}`);
  const children: ChildProcess[] = [];
  let failed: number | null = null;
  let left = nproc;
  return new Promise((resolve) => {
    const stopOthers = () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      const t = setTimeout(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')), options.graceMs ?? 10_000);
      t.unref();
    };
    // A launcher killed by Ctrl-C or SIGTERM takes its workers with it.
    const forward = (sig: NodeJS.Signals) => () => children.forEach((c) => c.kill(sig));
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    for (let rank = 0; rank < nproc; rank++) {
      const child = spawn(process.execPath, args, {
        env: {
          ...process.env,
          RANK: String(rank),
          LOCAL_RANK: String(rank),
          WORLD_SIZE: String(nproc),
          LOCAL_WORLD_SIZE: String(nproc),
          MASTER_ADDR: options.masterAddr ?? process.env.MASTER_ADDR ?? '127.0.0.1',
          MASTER_PORT: String(options.masterPort ?? (process.env.MASTER_PORT || DEFAULT_MASTER_PORT)),
          // The cores shared out between the workers (torchrun sets 1), unless the user chose.
          OMP_NUM_THREADS: process.env.OMP_NUM_THREADS || String(Math.max(1, Math.floor(availableParallelism() / nproc))),
        },
        stdio: rank === 0 ? 'inherit' : ['ignore', 'ignore', 'pipe'],
      });
      if (rank > 0) child.stderr!.on('data', prefixLines(rank, process.stderr));
      children.push(child);
      child.on('exit', (code, signal) => {
        // A signal's death reads as a shell reports it: 128 + the signal's number.
        const status = code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1);
        if (status !== 0 && failed === null) {
          failed = status;
          process.stderr.write(`finegrain: worker rank ${rank} exited with ${signal ?? `status ${code}`}; stopping the other workers\n`);
          stopOthers();
        }
        if (--left === 0) {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve(failed ?? 0);
        }
      });
    }
  });
}
