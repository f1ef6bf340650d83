/**
 * PyTorch as the reference implementation: runs a Python snippet under Debian's
 * python3-torch on tensors from a test and returns its results. Inputs travel as raw bytes
 * plus a JSON manifest (no shared format code, so a bug in finegrain's own serialisers
 * cannot hide in both sides).
 *
 * The snippet sees `inputs` (a dict of torch tensors), `torch`, `F` (torch.nn.functional)
 * and `torchvision`, and must fill the dict `outputs`.
 *
 * @example
 *   const out = torchOracle('outputs["y"] = F.relu(inputs["x"])', { x });
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromTypedArray, Tensor, type DType } from '../../src/index.js';

const PYTHON = process.env.FINEGRAIN_ORACLE_PYTHON ?? '/usr/bin/python3';

let available: boolean | undefined;
/** Whether python3-torch (and torchvision) can be run; tests skip with `oracleSkip` otherwise. */
export function oracleAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * Pass as a test's `skip` option. With `FINEGRAIN_REQUIRE_ORACLE=1` (CI sets it) a missing
 * oracle is an error instead of a skip, so a broken set-up cannot pass by skipping every
 * parity test.
 */
export const oracleSkip = (): string | false => {
  if (oracleAvailable()) return false;
  const why = `PyTorch oracle not available (${PYTHON} cannot import torch, torchvision): install python3-torch python3-torchvision`;
  if (process.env.FINEGRAIN_REQUIRE_ORACLE === '1') throw new Error(`${why}; FINEGRAIN_REQUIRE_ORACLE=1 makes that a failure`);
  return why;
};

const PRELUDE = `
import json, sys, os
import torch, torchvision
import torch.nn.functional as F
torch.set_num_threads(1)
_dir = sys.argv[1]
_DT = {'float32': torch.float32, 'float64': torch.float64, 'float16': torch.float16, 'bfloat16': torch.bfloat16,
       'uint8': torch.uint8, 'int8': torch.int8, 'int16': torch.int16, 'int32': torch.int32, 'int64': torch.int64, 'bool': torch.bool}
_NAME = {v: k for k, v in _DT.items()}
_man = json.load(open(os.path.join(_dir, 'in.json')))
inputs = {}
for _k, _m in _man.items():
    _raw = bytearray(open(os.path.join(_dir, _m['file']), 'rb').read())
    _t = torch.frombuffer(_raw, dtype=_DT[_m['dtype']]) if len(_raw) else torch.empty(0, dtype=_DT[_m['dtype']])
    inputs[_k] = _t.reshape(_m['shape']).clone()
outputs = {}
`;

const EPILOGUE = `
_out = {}
for _i, (_k, _t) in enumerate(outputs.items()):
    _t = torch.as_tensor(_t).detach().contiguous().cpu()
    _f = f'out{_i}.bin'
    open(os.path.join(_dir, _f), 'wb').write(_t.reshape(-1).view(torch.uint8).numpy().tobytes() if _t.numel() else b'')
    _out[_k] = {'file': _f, 'dtype': _NAME[_t.dtype], 'shape': list(_t.shape)}
json.dump(_out, open(os.path.join(_dir, 'out.json'), 'w'))
`;

function indent(code: string): string {
  // Snippets are written inline in tests; strip their common indentation.
  const lines = code.split('\n');
  const pad = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(pad)).join('\n');
}

export function torchOracle(code: string, inputs: Record<string, Tensor> = {}): Record<string, Tensor> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-oracle-'));
  try {
    const manifest: Record<string, { file: string; dtype: DType; shape: number[] }> = {};
    Object.entries(inputs).forEach(([k, t], i) => {
      const file = `in${i}.bin`;
      const data = t.toTypedArray();
      writeFileSync(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      manifest[k] = { file, dtype: t.dtype, shape: t.shape };
    });
    writeFileSync(join(dir, 'in.json'), JSON.stringify(manifest));
    writeFileSync(join(dir, 'run.py'), PRELUDE + indent(code) + '\n' + EPILOGUE);
    try {
      execFileSync(PYTHON, [join(dir, 'run.py'), dir], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
    } catch (e: any) {
      throw new Error(`PyTorch oracle failed:\n${e.stderr?.toString() ?? e.message}`, { cause: e });
    }
    const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as typeof manifest;
    const result: Record<string, Tensor> = {};
    for (const [k, m] of Object.entries(out)) {
      const bytes = readFileSync(join(dir, m.file));
      result[k] = fromTypedArray(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), m.shape, { dtype: m.dtype });
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
