/**
 * Named points in long operations (a training step, a checkpoint write, the crop refresh)
 * where a test can see the process arrive and hold it there, to kill it at that exact
 * moment and prove that nothing is lost. Off unless the environment asks:
 *
 * - `FINEGRAIN_FAULT_TRACE=1` prints `fault-point NAME` to stderr at every point;
 * - `FINEGRAIN_FAULT_PAUSE=NAME[@N]:MS[,…]` blocks the process for MS milliseconds at the
 *   N-th arrival (default the first) at NAME, after the trace line;
 * - `FINEGRAIN_FAULT_EXIT=NAME[@N]:CODE[,…]` calls `process.exit(CODE)` there instead — in a
 *   worker thread that ends the thread alone, as a crash of it would.
 *
 * Names: `train-step` (after an optimiser step), `crop-refresh` (after the first batch of
 * the attention-crop refresh), `write:<file name>` (a durable write, its temp file complete
 * but not yet renamed over the target), `inference-batch` (the serving inference thread,
 * before each micro-batch's forward pass).
 *
 * @example
 *   FINEGRAIN_FAULT_TRACE=1 FINEGRAIN_FAULT_PAUSE=write:last.safetensors:5000 finegrain train …
 */

/** One NAME[@N]:VALUE entry: at the `at`-th arrival at `name`, pause `value` ms or exit with code `value`. */
interface FaultEntry {
  name: string;
  at: number;
  value: number;
}

const trace = process.env.FINEGRAIN_FAULT_TRACE === '1';

/** NAME[@N]:NUMBER entries of a comma-separated variable. */
function parse(variable: string, unit: string): FaultEntry[] {
  return (process.env[variable] ?? '')
    .split(',')
    .filter(Boolean)
    .map((spec) => {
      const m = /^(.+?)(?:@(\d+))?:(\d+)$/.exec(spec.trim());
      if (!m) throw new Error(`${variable}: expected NAME[@N]:${unit}, got '${spec}'`);
      return { name: m[1]!, at: m[2] ? Number(m[2]) : 1, value: Number(m[3]) };
    });
}

const pauses = parse('FINEGRAIN_FAULT_PAUSE', 'MS');
const exits = parse('FINEGRAIN_FAULT_EXIT', 'CODE');
const arrivals = new Map<string, number>();
const active = trace || pauses.length > 0 || exits.length > 0;

/** Marks arrival at a named point (a no-op unless the environment variables above are set). */
export function faultPoint(name: string): void {
  if (!active) return;
  const n = (arrivals.get(name) ?? 0) + 1;
  arrivals.set(name, n);
  if (trace) process.stderr.write(`fault-point ${name}\n`);
  const pause = pauses.find((p) => p.name === name && p.at === n);
  if (pause) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause.value);
  const exit = exits.find((p) => p.name === name && p.at === n);
  if (exit) process.exit(exit.value);
}
