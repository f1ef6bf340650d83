/**
 * Starts worker processes for the distributed tests, the way torchrun does (RANK, WORLD_SIZE,
 * LOCAL_RANK, MASTER_ADDR=127.0.0.1, MASTER_PORT), and collects what each prints. Every
 * worker is killed when the deadline passes or the test ends, so no test leaves processes.
 *
 * @example
 *   const port = await freePort();
 *   const results = await runWorkers(2, ['collectives'], { port, deadlineMs: 60_000 });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The fixture each worker runs: build/test/distributed/worker.js. */
export const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface WorkerResult {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from start to exit. */
  ms: number;
  /** The last stdout line parsed as JSON, or null (shapes differ per worker mode). */

  json: any;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Running {
  children: ChildProcess[];
  done: Promise<WorkerResult[]>;
  /** Resolves when rank `rank` printed a line containing `text`. */
  printed(rank: number, text: string): Promise<void>;
}

/** Spawns `n` workers of WORKER with `args`; each is SIGKILLed at the deadline. */
export function startWorkers(
  n: number,
  args: string[],
  options: { port: number; deadlineMs: number; env?: Record<string, string>; script?: string; worldSize?: number; firstRank?: number },
): Running {
  const started = Date.now();
  const watchers: { rank: number; text: string; resolve: () => void }[] = [];
  const children: ChildProcess[] = [];
  const results = Array.from({ length: n }, (_, i) => {
    const rank = (options.firstRank ?? 0) + i;
    const child = spawn(process.execPath, [options.script ?? WORKER, ...args], {
      env: {
        ...process.env,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(options.worldSize ?? n),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(options.port),
        OMP_NUM_THREADS: '1',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      for (const w of watchers) if (w.rank === rank && stdout.includes(w.text)) w.resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.deadlineMs);
    return new Promise<WorkerResult>((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const lines = stdout.trim().split('\n');
        let json = null;
        try {
          json = JSON.parse(lines[lines.length - 1]!);
        } catch {
          // not JSON: the test looks at stdout/stderr
        }
        resolve({ rank, code, signal, stdout, stderr, ms: Date.now() - started, json });
      });
    });
  });
  return {
    children,
    done: Promise.all(results),
    printed: (rank, text) => new Promise((resolve) => watchers.push({ rank, text, resolve })),
  };
}

/** Runs workers to completion; kills every one left if any promise rejects. */
export async function runWorkers(n: number, args: string[], options: Parameters<typeof startWorkers>[2]): Promise<WorkerResult[]> {
  const running = startWorkers(n, args, options);
  try {
    return await running.done;
  } finally {
    for (const c of running.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

/** The largest |a − b| over lists of weights, each relative to its tensor's max(max|b|, 1e-3) (rank results against a single process). */
export function maxRelative(a: number[][], b: number[][]): number {
  // Per tensor, relative to its largest magnitude (as the export parity tests measure): an
  // element-wise ratio makes the bound hinge on whichever weight happens to sit near zero,
  // where float32 summation order alone (which differs between CPUs) decides the last digits.
  let worst = 0;
  a.forEach((pa, i) => {
    const pb = b[i]!;
    const scale = Math.max(1e-3, ...pb.map(Math.abs));
    pa.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - pb[j]!) / scale)));
  });
  return worst;
}
