/**
 * OpenBLAS kernel choice for CPUs it does not recognise.
 *
 * Debian's libtorch does its float32 matrix products (Linear layers, attention) in the system
 * BLAS, OpenBLAS once scripts/setup.sh has installed it. OpenBLAS picks its kernels from the CPU
 * model number, and a model newer than its release (Emerald Rapids, model 207, on OpenBLAS
 * 0.3.21) falls back to its generic 'Prescott' SSE3 kernels: a 1568×1232×1232 product takes
 * 82 ms there against 19 ms with the AVX-512 'SkylakeX' kernels (2 cores, measured
 * 2026-11-26). OpenBLAS reads `OPENBLAS_CORETYPE` once, when libtorch loads it, so the addon
 * loader sets it first — from the instruction sets the CPU reports, not its model number — and
 * only when the user has not set it. Child processes (the PyTorch oracle, benchmark baselines)
 * inherit it, so both sides of a comparison use the same kernels.
 *
 * @example
 *   openblasCoreFor('fpu avx2 fma avx512f avx512bw avx512vl avx512dq avx512cd'); // 'SkylakeX'
 */
import { cpuFlags } from './cpu-flags.js';

const SKYLAKEX = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'];
const HASWELL = ['avx2', 'fma'];

/** The OpenBLAS core type for a /proc/cpuinfo `flags` line: 'SkylakeX', 'Haswell', or null to let OpenBLAS decide. */
export function openblasCoreFor(flags: string): 'SkylakeX' | 'Haswell' | null {
  const have = new Set(flags.trim().split(/\s+/));
  if (SKYLAKEX.every((f) => have.has(f))) return 'SkylakeX';
  if (HASWELL.every((f) => have.has(f))) return 'Haswell';
  return null;
}

/** Sets `OPENBLAS_CORETYPE` from this CPU's flags unless it is set already (x86-64 Linux only); returns the value in effect. */
export function chooseOpenblasCore(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OPENBLAS_CORETYPE !== undefined || process.platform !== 'linux' || process.arch !== 'x64') return env.OPENBLAS_CORETYPE;
  const core = openblasCoreFor(cpuFlags()); // no cpuinfo: no flags, OpenBLAS's own detection
  if (core) env.OPENBLAS_CORETYPE = core;
  return env.OPENBLAS_CORETYPE;
}
