/**
 * bench/serve: `finegrain serve` against the Python service users would write instead
 * (bench/serve/peer.py: FastAPI + uvicorn + torchvision, the same weights and preprocessing,
 * one request per forward pass), both as separate processes, loaded by autocannon from this
 * (third) process with the same photos: throughput, p50/p99 latency, errors and peak resident
 * memory at each concurrency; the same with a 4,000-class head; and finegrain's resident
 * memory over a long run of requests (flat?).
 *
 * Both servers stay up together and are loaded in turns, round after round (the order reversed
 * every other round), so load from other jobs on a shared machine hits both alike; figures are
 * medians over rounds and the ratio is the median of the per-round ratios.
 *
 * Then the memory accounting (memory.ts): the server's resident memory with each part turned
 * off in turn, and its mappings by owner, beside the peer's.
 *
 *   node scripts/run-bench.mjs serve [--duration 5] [--rounds 3] [--concurrency 1,8,32] [--rss-requests 10000]
 *                                    [--memory-requests 2000] [--memory-only]
 *                                    [--checkpoint FILE] [--photos DIR] [--sweep] [--quick]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { memoryAccounting } from './memory.js';
import { load, makeCheckpoint, photos, rss, startProcess, type Proc } from './processes.js';
import { cpuModel } from '../engine/machine.js';
import { f, table } from '../format.js';

const { values: opt } = parseArgs({
  options: {
    duration: { type: 'string' },
    rounds: { type: 'string' },
    concurrency: { type: 'string' },
    'rss-requests': { type: 'string' },
    'memory-requests': { type: 'string' },
    'memory-only': { type: 'boolean' },
    checkpoint: { type: 'string' },
    photos: { type: 'string' },
    python: { type: 'string' },
    sweep: { type: 'boolean' },
    quick: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (opt.help) {
  console.log(
    `usage: node scripts/run-bench.mjs serve [--duration S] [--rounds N] [--concurrency 1,8,32] [--rss-requests N] [--memory-requests N] [--memory-only] [--checkpoint F] [--photos DIR] [--sweep] [--quick]`,
  );
  process.exit(0);
}
const duration = Number(opt.duration ?? (opt.quick ? 3 : 5));
const rounds = Number(opt.rounds ?? (opt.quick ? 1 : 3));
const levels = (opt.concurrency ?? '1,8,32').split(',').map(Number);
const rssRequests = Number(opt['rss-requests'] ?? (opt.quick ? 500 : 10000));
const memoryRequests = Number(opt['memory-requests'] ?? (opt.quick ? 300 : 2000));
const python = opt.python ?? process.env.FINEGRAIN_BENCH_PYTHON ?? '/usr/bin/python3';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(root, 'build/src/cli/main.js');
const PEER = join(root, 'bench/serve/peer.py');
/** Intra-op threads on both sides: OMP_NUM_THREADS (finegrain's useAllCores reads it too), else every core. */
const threads = Number(process.env.OMP_NUM_THREADS ?? cpus().length);
const work = mkdtempSync(join(tmpdir(), 'fg-bench-serve-'));

interface LoadResult {
  concurrency: number;
  requests: number;
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  peakRssMiB: number;
}

function resultOf(proc: Proc, c: number, r: autocannon.Result): LoadResult {
  return {
    concurrency: c,
    requests: r.requests.total,
    throughput: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    peakRssMiB: rss(proc.child.pid!).peak,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Medians over rounds (errors summed, peak memory the largest). */
function summary(rs: LoadResult[]): LoadResult {
  return {
    concurrency: rs[0]!.concurrency,
    requests: rs.reduce((a, r) => a + r.requests, 0),
    throughput: median(rs.map((r) => r.throughput)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
    peakRssMiB: Math.max(...rs.map((r) => r.peakRssMiB)),
  };
}

const finegrainArgs = (ckpt: string, extra: string[] = []) => [MAIN, 'serve', '--checkpoint', ckpt, '--port', '0', '--no-web', '--max-queue', '256', ...extra];

async function compare(label: string, ckpt: string, bodies: Buffer[]) {
  const fg = await startProcess(process.execPath, finegrainArgs(ckpt), /ready on (http:\/\/127\.0\.0\.1:\d+)/);
  const port = 18000 + Math.floor(Math.random() * 1000);
  let py: Proc | null = null;
  try {
    py = await startProcess(python, [PEER, ckpt, String(port), String(threads)], /peer ready on (http:\/\/127\.0\.0\.1:\d+)/);
    // uvicorn prints its own line after ours; give it a moment to bind.
    await new Promise((r) => setTimeout(r, 1500));
    const sides = [fg, py];
    for (const p of sides) await load(p.url, bodies, 2, { amount: 20 }); // warm both sides the same way
    const perRound: { fg: LoadResult; peer: LoadResult }[][] = levels.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [li, c] of levels.entries()) {
        const order = round % 2 ? [py, fg] : [fg, py];
        const got = new Map<Proc, LoadResult>();
        for (const p of order) got.set(p, resultOf(p, c, await load(p.url, bodies, c, { duration })));
        perRound[li]!.push({ fg: got.get(fg)!, peer: got.get(py)! });
      }
    }
    const fgResults = perRound.map((rs) => summary(rs.map((r) => r.fg)));
    const pyResults = perRound.map((rs) => summary(rs.map((r) => r.peer)));
    const ratios = perRound.map((rs) => median(rs.map((r) => r.fg.throughput / r.peer.throughput)));
    const rows = levels.map((c, i) => {
      const a = fgResults[i]!;
      const b = pyResults[i]!;
      return [
        `${label} c=${c}`,
        f(a.throughput, 1),
        f(b.throughput, 1),
        f(ratios[i]!, 2),
        `${f(a.p50, 0)} / ${f(a.p99, 0)}`,
        `${f(b.p50, 0)} / ${f(b.p99, 0)}`,
        `${a.errors + a.non2xx} / ${b.errors + b.non2xx}`,
        `${f(a.peakRssMiB, 0)} / ${f(b.peakRssMiB, 0)}`,
      ];
    });
    console.log(
      table(
        [
          'model, concurrency',
          'finegrain req/s',
          'peer req/s',
          'ratio (median of rounds)',
          'finegrain p50/p99 ms',
          'peer p50/p99 ms',
          'errors fg/peer',
          'peak RSS MiB fg/peer',
        ],
        rows,
      ),
    );
    return { finegrain: fgResults, peer: pyResults, ratios, rounds: perRound };
  } finally {
    await Promise.all([fg.stop(), py?.stop()]);
  }
}

/** finegrain's RSS sampled over `rssRequests` requests at concurrency 8. */
async function rssOverTime(ckpt: string, bodies: Buffer[]) {
  const fg = await startProcess(process.execPath, finegrainArgs(ckpt), /ready on (http:\/\/127\.0\.0\.1:\d+)/);
  try {
    const samples: { requests: number; rssMiB: number }[] = [];
    const step = Math.max(100, Math.floor(rssRequests / 10));
    await load(fg.url, bodies, 8, { amount: step }); // the first block settles allocator caches
    samples.push({ requests: step, rssMiB: rss(fg.child.pid!).now });
    for (let done = step; done < rssRequests; done += step) {
      await load(fg.url, bodies, 8, { amount: step });
      samples.push({ requests: done + step, rssMiB: rss(fg.child.pid!).now });
    }
    const first = samples[0]!.rssMiB;
    const last = samples[samples.length - 1]!.rssMiB;
    console.log(
      `\nfinegrain RSS over ${samples[samples.length - 1]!.requests} requests (c=8): ${samples.map((s) => f(s.rssMiB, 0)).join(' → ')} MiB; last vs first ${f((100 * (last - first)) / first, 1)}%`,
    );
    return { samples, changePercent: (100 * (last - first)) / first };
  } finally {
    await fg.stop();
  }
}

/** finegrain alone at concurrency 32 with other --max-batch / --max-wait-ms (how the defaults were chosen). */
async function sweep(ckpt: string, bodies: Buffer[]) {
  const rows: string[][] = [];
  const out = [];
  for (const [maxBatch, maxWait] of [
    [1, 0],
    [4, 2],
    [8, 4],
    [16, 4],
    [8, 10],
  ] as const) {
    const fg = await startProcess(
      process.execPath,
      finegrainArgs(ckpt, ['--max-batch', String(maxBatch), '--max-wait-ms', String(maxWait)]),
      /ready on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    try {
      await load(fg.url, bodies, 2, { amount: 20 });
      for (const c of [1, 32]) {
        const r = await load(fg.url, bodies, c, { duration });
        rows.push([`batch ${maxBatch}, wait ${maxWait} ms, c=${c}`, f(r.requests.average, 1), f(r.latency.p50, 0), f(r.latency.p99, 0)]);
        out.push({ maxBatch, maxWait, concurrency: c, throughput: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 });
      }
    } finally {
      await fg.stop();
    }
  }
  console.log('\n' + table(['finegrain settings', 'req/s', 'p50 ms', 'p99 ms'], rows));
  return out;
}

const loadStart = loadavg()[0]!;
const photoDir = opt.photos ?? join(root, '../shared/data/cars33/test');
const bodies = await photos(photoDir);
const small = opt.checkpoint ?? makeCheckpoint(work, 33);
console.log(
  `bench serve: ${cpuModel()}, ${cpus().length} cores, ${threads} threads per server, ${new Date().toISOString()}; ${bodies.length} photos; ${duration} s per level\n`,
);
const results: Record<string, unknown> = {};
if (!opt['memory-only']) {
  results.model33 = await compare('33 classes', small, bodies);
  console.log('');
  results.model4000 = await compare('4,000 classes', makeCheckpoint(work, 4000), bodies);
  results.rss = await rssOverTime(small, bodies);
  if (opt.sweep) results.sweep = await sweep(small, bodies);
}
results.memory = await memoryAccounting({ main: MAIN, python, peer: PEER, threads, checkpoint: small, bodies, requests: memoryRequests, work, photoDir });
const machine = { cpu: cpuModel(), cores: cpus().length, threads, loadAverage: { start: loadStart, end: loadavg()[0]! } };
const date = new Date().toISOString().slice(0, 10);
const outPath = opt.out ?? join(root, `bench/results/serve-${date}.json`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  outPath,
  JSON.stringify({ date: new Date().toISOString(), machine, duration, rounds, levels, checkpoint: opt.checkpoint ?? 'random mobilenet_v2', results }, null, 2) +
    '\n',
);
console.log(`\nload average ${loadStart.toFixed(1)} → ${machine.loadAverage.end.toFixed(1)}; results in ${outPath}`);
