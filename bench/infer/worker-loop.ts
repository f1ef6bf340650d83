/**
 * The request loop of bench/infer's Node workers (worker-finegrain.ts, worker-ort.ts): one JSON
 * request per line on stdin, one JSON answer per line on stdout — the protocol of
 * bench/torch_worker.py, so the orchestrator drives every contender alike (bench/engine/torch-side.ts).
 * It imports nothing heavy, so an ONNX Runtime worker's memory is ONNX Runtime's alone.
 *
 * Also what every worker measures the same way: its peak resident memory (VmHWM) and the
 * milliseconds of each forward pass of a timed block.
 *
 * @example
 *   await serveRequests({ setup: async (req) => ({ ... }), time: async (req) => ({ ms: await timeBlock(run, 3) }) });
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export type Request = Record<string, unknown> & { cmd: string };
export type Handler = (req: Request) => unknown;

/** Peak and current resident memory of this process, in MiB (Linux /proc/self/status). */
export function memoryMiB(): { peakRssMiB: number; rssMiB: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peakRssMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}

/** The milliseconds of each of `iters` calls of `run` (awaited one after another). */
export async function timeBlock(run: () => unknown, iters: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    const start = process.hrtime.bigint();
    await run();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return ms;
}

/** The seeded input batch the orchestrator wrote: float32 [N, 3, S, S], its first `batch` images. */
export function readInput(path: string, batch: number, size: number): Float32Array {
  const bytes = readFileSync(path);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const n = batch * 3 * size * size;
  if (all.length < n) throw new RangeError(`${path} holds ${all.length / (3 * size * size)} images, batch ${batch} needs more`);
  return all.slice(0, n);
}

/** Answers requests until "quit" or end of input; a failed request answers its error and the worker stays up. */
export async function serveRequests(handlers: Record<string, Handler>): Promise<void> {
  const all: Record<string, Handler> = { memory: () => memoryMiB(), ...handlers };
  for await (const line of createInterface({ input: process.stdin })) {
    const req = JSON.parse(line) as Request;
    if (req.cmd === 'quit') break;
    let answer: { ok?: unknown; error?: string };
    try {
      const h = all[req.cmd];
      if (!h) throw new Error(`unknown request '${req.cmd}'`);
      answer = { ok: await h(req) };
    } catch (e) {
      answer = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
}
