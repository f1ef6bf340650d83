/**
 * cars33 through the API: serves a checkpoint with `finegrain serve`, sends every test photo
 * (../shared/data/cars33/test/<series>/*.jpg) to POST /v1/classify and /v1/verify, and reports
 *
 * - test accuracy through the API, next to `finegrain eval` and `finegrain predict` on the
 *   same checkpoint, images and precision (per-image agreement of the top-1 with predict);
 * - verification: the match rate for true claims, and the mismatch rate for false claims that
 *   name another series of the same make (the next series of that make in name order).
 *
 *   node build/bench/serve/cars33.js --checkpoint runs/cars33/checkpoints/best.safetensors [--precision bfloat16]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuModel } from '../engine/machine.js';

const { values: opt } = parseArgs({
  options: { checkpoint: { type: 'string' }, data: { type: 'string' }, precision: { type: 'string' }, out: { type: 'string' } },
});
const root = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(root, 'build/src/cli/main.js');
const data = opt.data ?? join(root, '../shared/data/cars33/test');
const precision = opt.precision ?? 'bfloat16';
if (!opt.checkpoint) throw new Error('--checkpoint FILE is required');
const checkpoint = opt.checkpoint;

const series = readdirSync(data).sort();
const photos = series.flatMap((s) =>
  readdirSync(join(data, s))
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => ({ series: s, path: join(data, s, f) })),
);
const make = (s: string) => (s.startsWith('Mercedes-Benz') ? 'Mercedes-Benz' : s.split(' ')[0]!);
/** Another series of the same make: the next one in name order (wrapping). */
function falseClaim(s: string): string {
  const same = series.filter((x) => make(x) === make(s));
  return same[(same.indexOf(s) + 1) % same.length]!;
}

const child = spawn(process.execPath, [MAIN, 'serve', '--checkpoint', checkpoint, '--port', '0', '--no-web', '--precision', precision], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
const url = await new Promise<string>((resolve, reject) => {
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    const m = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
    if (m) resolve(m[1]!);
  });
  child.on('exit', (c) => reject(new Error(`serve exited ${c}:\n${err}`)));
});

async function post(path: string, body: Buffer) {
  const r = await fetch(`${url}${path}`, { method: 'POST', body, headers: { 'content-type': 'image/jpeg' } });
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as { predictions: { label: string }[]; decision?: string; unknown: { is_unknown: boolean }; quality: { ok: boolean } };
}

const apiTop1 = new Map<string, string>();
let correct = 0;
const verify = { trueClaims: { match: 0, mismatch: 0, uncertain: 0 }, falseClaims: { match: 0, mismatch: 0, uncertain: 0 } };
let unknownCount = 0;
let poorQuality = 0;
try {
  for (const p of photos) {
    const body = readFileSync(p.path);
    const c = await post('/v1/classify', body);
    apiTop1.set(p.path, c.predictions[0]!.label);
    if (c.predictions[0]!.label === p.series) correct++;
    if (c.unknown.is_unknown) unknownCount++;
    if (!c.quality.ok) poorQuality++;
    const t = await post(`/v1/verify?claimed=${encodeURIComponent(p.series)}`, body);
    verify.trueClaims[t.decision as 'match']++;
    const f = await post(`/v1/verify?claimed=${encodeURIComponent(falseClaim(p.series))}`, body);
    verify.falseClaims[f.decision as 'match']++;
  }
} finally {
  child.kill('SIGTERM');
}

const work = mkdtempSync(join(tmpdir(), 'fg-cars33-'));
const evalJson = join(work, 'eval.json');
const e = spawnSync(process.execPath, [MAIN, 'eval', '--checkpoint', checkpoint, '--data', data, '--precision', precision, '--json', evalJson], {
  encoding: 'utf8',
});
if (e.status !== 0) throw new Error(`eval failed: ${e.stderr}`);
const evalReport = JSON.parse(readFileSync(evalJson, 'utf8')) as { top1: number; images: number };
// The API answered one photo at a time (batches of 1); eval at --batch-size 1 runs the same
// batches. In bfloat16 a batch's size can move a near-tie (the kernels' rounding differs).
const eval1Json = join(work, 'eval-batch1.json');
const e1 = spawnSync(
  process.execPath,
  [MAIN, 'eval', '--checkpoint', checkpoint, '--data', data, '--precision', precision, '--batch-size', '1', '--json', eval1Json],
  {
    encoding: 'utf8',
  },
);
if (e1.status !== 0) throw new Error(`eval --batch-size 1 failed: ${e1.stderr}`);
const eval1Report = JSON.parse(readFileSync(eval1Json, 'utf8')) as { top1: number; images: number };
const predJson = join(work, 'predict.json');
const pr = spawnSync(
  process.execPath,
  [MAIN, 'predict', '--checkpoint', checkpoint, '--data', data, '--precision', precision, '--out', predJson, '--top-k', '1'],
  { encoding: 'utf8' },
);
if (pr.status !== 0) throw new Error(`predict failed: ${pr.stderr}`);
const predicted = (JSON.parse(readFileSync(predJson, 'utf8')) as { predictions: { path: string; top: { label: string }[] }[] }).predictions;
const agree = predicted.filter((p) => apiTop1.get(p.path) === p.top[0]!.label).length;

const n = photos.length;
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const result = {
  date: new Date().toISOString(),
  machine: { cpu: cpuModel(), cores: cpus().length },
  checkpoint,
  precision,
  images: n,
  apiTop1: correct / n,
  evalTop1: evalReport.top1,
  evalTop1Batch1: eval1Report.top1,
  evalImages: evalReport.images,
  predictAgreement: `${agree}/${predicted.length}`,
  unknownRate: unknownCount / n,
  poorQualityRate: poorQuality / n,
  verification: {
    trueClaims: { ...verify.trueClaims, matchRate: verify.trueClaims.match / n },
    falseClaimsSameMake: { ...verify.falseClaims, mismatchRate: verify.falseClaims.mismatch / n },
  },
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `\ncars33 test (${n} photos, ${precision}): API top-1 ${pct(result.apiTop1)}, finegrain eval ${pct(evalReport.top1)} (${evalReport.images} images; ${pct(eval1Report.top1)} at --batch-size 1); API and predict agree on ${agree}/${predicted.length} photos`,
);
console.log(
  `verification: true claims ${pct(result.verification.trueClaims.matchRate)} match (${verify.trueClaims.uncertain} uncertain, ${verify.trueClaims.mismatch} mismatch); false same-make claims ${pct(result.verification.falseClaimsSameMake.mismatchRate)} mismatch (${verify.falseClaims.uncertain} uncertain, ${verify.falseClaims.match} match)`,
);
const out = opt.out ?? join(root, `bench/results/serve-cars33-${result.date.slice(0, 10)}.json`);
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`results in ${out}`);
