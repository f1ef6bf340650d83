/**
 * The C++ floors of the add benchmark (cpp-floors.cc): a small addon of the benchmark's own,
 * built beside this file's compiled form (build/bench/engine/cpp-floors.node) by
 * `node scripts/build-native.mjs --bench`, which scripts/run-bench.mjs runs first. Loaded on
 * first use, after the library's addon (and so libtorch) is loaded.
 *
 * @example
 *   const ns = cppFloors().addLoop(a.toTypedArray() as Float32Array, b.toTypedArray() as Float32Array, 10_000);
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface CppFloors {
  /** Nanoseconds for `iters` at::add(a, b) calls made from C++ (operands as 1-D float32 tensors). */
  addLoop(a: Float32Array, b: Float32Array, iters: number): number;
  /** Nanoseconds for the same calls through the boxed dispatcher, as the generic call() makes them. */
  addLoopBoxed(a: Float32Array, b: Float32Array, iters: number): number;
}

let loaded: CppFloors | null = null;

export function cppFloors(): CppFloors {
  if (loaded) return loaded;
  const path = fileURLToPath(new URL('./cpp-floors.node', import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is not built: run node scripts/build-native.mjs --bench (scripts/run-bench.mjs engine does)`);
  loaded = createRequire(import.meta.url)(path) as CppFloors;
  return loaded;
}
