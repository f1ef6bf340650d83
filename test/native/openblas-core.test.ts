// The OpenBLAS kernel choice made before libtorch loads (src/native/openblas-core.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseOpenblasCore, openblasCoreFor } from '../../src/native/openblas-core.js';
import { cpuFlags } from '../../src/native/cpu-flags.js';
import '../../src/index.js'; // loads the addon, which makes the choice for this process

test("AVX-512 CPUs get the SkylakeX kernels, AVX2 ones Haswell, older ones OpenBLAS's own detection", () => {
  const spr = 'fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 amx_bf16';
  assert.equal(openblasCoreFor(spr), 'SkylakeX');
  assert.equal(openblasCoreFor('fpu sse sse2 avx avx2 fma'), 'Haswell');
  assert.equal(openblasCoreFor('fpu sse sse2 avx avx2 fma avx512f'), 'Haswell', 'AVX-512 without BW/VL/DQ/CD is not SkylakeX');
  assert.equal(openblasCoreFor('fpu sse sse2 sse3'), null);
  assert.equal(openblasCoreFor(''), null);
});

test('a core type the user set is kept', () => {
  const env: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Zen' };
  assert.equal(chooseOpenblasCore(env), 'Zen');
  assert.equal(env.OPENBLAS_CORETYPE, 'Zen');
});

test('loading finegrain set the core type from this CPU (so child processes share it)', (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64') return t.skip('x86-64 Linux only');
  const expected = openblasCoreFor(cpuFlags());
  if (expected === null) return t.skip('this CPU has neither AVX2 nor AVX-512: OpenBLAS detects it itself');
  // The test runner may have set it for the whole run; then it is simply kept.
  assert.ok(process.env.OPENBLAS_CORETYPE, 'OPENBLAS_CORETYPE is set');
  const fresh: NodeJS.ProcessEnv = {};
  assert.equal(chooseOpenblasCore(fresh), expected);
});
