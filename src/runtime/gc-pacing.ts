/**
 * Paced young-generation garbage collections for the serving threads. A served photo's pixels
 * live in ArrayBuffers (the decoded copy, the copy each worker thread receives, the quality
 * measures' scratch arrays): megabytes outside V8's heap behind a few bytes of JavaScript
 * objects each. V8 collects the young generation when the JavaScript objects fill it, not when
 * the memory behind them grows, so each thread of `finegrain serve` kept 15–35 MiB of buffers
 * already dead until its next collection, and the main thread's young generation grew to
 * 32 MiB under load (bench/serve/README.md). A minor collection every `intervalMs` while the
 * thread works returns them within that interval: 60 MiB less peak RSS on the 2-core Xeon,
 * at a fraction of a millisecond per collection (the young generation stays small).
 *
 * V8 offers the collector to JavaScript only under `--expose-gc`; the pacer sets the flag for
 * the moment it takes the function from a fresh context, then clears it again, so no other
 * code of the process sees a global `gc`.
 *
 * @example
 *   const pacer = paceGarbageCollection(50);   // on this thread
 *   pacer.noteWork();                          // after each request or batch
 *   pacer.stop();                              // when the server closes
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A running pacer on one thread (see `paceGarbageCollection`). */
export interface GcPacer {
  /** Marks that the thread has worked since the last collection (an idle thread is not collected). */
  noteWork(): void;
  /** Minor collections this pacer has run. */
  readonly collections: number;
  /** Stops the timer; idempotent. */
  stop(): void;
}

let minorGc: (() => void) | null = null;

/** This isolate's minor collection (`gc({ type: 'minor' })`), taken once per thread. */
function collector(): () => void {
  if (minorGc) return minorGc;
  setFlagsFromString('--expose-gc');
  try {
    const gc = runInNewContext('gc') as (options: { type: 'minor' | 'major' }) => void;
    minorGc = () => gc({ type: 'minor' });
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return minorGc;
}

/**
 * Runs a minor collection on this thread at most every `intervalMs` while it works (`noteWork`
 * since the last one); `intervalMs` 0 leaves the schedule to V8 and returns a pacer that does
 * nothing. The timer never keeps the process alive.
 */
export function paceGarbageCollection(intervalMs: number): GcPacer {
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new RangeError(`gcIntervalMs must be a number of ms >= 0, got ${intervalMs}`);
  let worked = false;
  let collections = 0;
  if (intervalMs === 0)
    return {
      noteWork() {},
      get collections() {
        return 0;
      },
      stop() {},
    };
  const gc = collector();
  const timer = setInterval(() => {
    if (!worked) return;
    worked = false;
    gc();
    collections++;
  }, intervalMs);
  timer.unref();
  return {
    noteWork() {
      worked = true;
    },
    get collections() {
      return collections;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
