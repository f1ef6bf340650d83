/**
 * Loading a large checkpoint: finegrain's PyTorch-checkpoint reader against its safetensors
 * reader and against PyTorch's `torch.load`, in the same run, on the same random state dict
 * (written once by bench/weights/make_checkpoint.py: NAME.pth and NAME.safetensors). Each load
 * runs in its own process (peak memory is per process); the three sides alternate over rounds
 * with the order rotating, and the files stay in the page cache for all of them.
 *
 * Goals: .pth load time ≤ 1.5x safetensors' and ≤ torch.load's; peak resident memory the load
 * adds ≤ 1.2x the weights' size. Rows `createModel` load the .pth / safetensors tensor by tensor
 * into the model (the model's own weights included in the peak).
 *
 *   node scripts/run-bench.mjs weights [--models regnet_y_16gf,vit_l_16] [--rounds 5] [--out FILE]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuModel } from '../engine/machine.js';
import { f, positiveInt, table } from '../format.js';

const { values: opt } = parseArgs({
  options: {
    models: { type: 'string', default: 'regnet_y_16gf,vit_l_16' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log('usage: node scripts/run-bench.mjs weights [--models a,b] [--rounds N] [--out FILE]');
  process.exit(0);
}
const PYTHON = process.env.FINEGRAIN_ORACLE_PYTHON ?? '/usr/bin/python3';
const rounds = positiveInt(opt.rounds, 5);
const here = new URL('.', import.meta.url).pathname; // build/bench/weights/
const worker = join(here, 'load-worker.js');
const pyDir = join(here, '../../../bench/weights');

interface Load {
  seconds: number;
  peakBytes: number;
  bytes: number;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const MB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'fg-bench-weights-'));
const results: Record<string, unknown>[] = [];
try {
  for (const name of opt.models!.split(',')) {
    console.log(`[weights] writing ${name}.pth and ${name}.safetensors`);
    const made = JSON.parse(execFileSync(PYTHON, [join(pyDir, 'make_checkpoint.py'), name, dir], { encoding: 'utf8' })) as { bytes: number };
    const pth = join(dir, `${name}.pth`);
    const st = join(dir, `${name}.safetensors`);
    const sides: Record<string, () => Load> = {
      'finegrain .pth': () => JSON.parse(execFileSync(process.execPath, [worker, pth], { encoding: 'utf8' })),
      'finegrain safetensors': () => JSON.parse(execFileSync(process.execPath, [worker, st], { encoding: 'utf8' })),
      'torch.load .pth': () => JSON.parse(execFileSync(PYTHON, [join(pyDir, 'torch_load.py'), pth], { encoding: 'utf8' })),
      'createModel .pth': () => JSON.parse(execFileSync(process.execPath, [worker, pth, name], { encoding: 'utf8' })),
      'createModel safetensors': () => JSON.parse(execFileSync(process.execPath, [worker, st, name], { encoding: 'utf8' })),
    };
    const names = Object.keys(sides);
    const got: Record<string, Load[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < names.length; i++) {
        const side = names[(i + r) % names.length]!;
        got[side]!.push(sides[side]!());
      }
    }
    const med = (side: string) => ({ seconds: median(got[side]!.map((l) => l.seconds)), peak: median(got[side]!.map((l) => l.peakBytes)) });
    const rows = names.map((side) => {
      const m = med(side);
      return [side, f(m.seconds, 3), f(made.bytes / MB / m.seconds, 0), f(m.peak / MB, 0), f(m.peak / made.bytes, 2)];
    });
    console.log(`\n${name}: ${f(made.bytes / MB, 0)} MiB of weights, ${rounds} rounds, ${cpuModel()}`);
    console.log(table(['load', 'median s', 'MiB/s', 'peak MiB', 'peak / weights'], rows));
    const pthTime = med('finegrain .pth').seconds;
    const ratios = {
      pthOverSafetensors: pthTime / med('finegrain safetensors').seconds,
      pthOverTorch: pthTime / med('torch.load .pth').seconds,
      pthPeakOverWeights: med('finegrain .pth').peak / made.bytes,
      torchPeakOverWeights: med('torch.load .pth').peak / made.bytes,
    };
    console.log(
      `goals: .pth/safetensors ${f(ratios.pthOverSafetensors, 2)}x (<= 1.5) · .pth/torch.load ${f(ratios.pthOverTorch, 2)}x (<= 1) · peak ${f(ratios.pthPeakOverWeights, 2)}x weights (<= 1.2)`,
    );
    results.push({ model: name, weightBytes: made.bytes, rounds, loads: got, ratios });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const out = opt.out ?? `bench/results/weights-${new Date().toISOString().slice(0, 10)}.json`;
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, JSON.stringify({ machine: { cpu: cpuModel(), date: new Date().toISOString() }, results }, null, 2));
console.log(`\nwrote ${out}`);
