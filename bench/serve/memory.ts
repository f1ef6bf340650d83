/**
 * bench/serve's memory accounting: where `finegrain serve`'s resident memory goes, measured by
 * turning each part off in turn (a fresh server per variant) and by the process's mappings,
 * not by guessing. For each variant: RSS once ready (after warm-up) and the peak (VmHWM) after
 * `requests` requests at concurrency 8, with the req/s it served meanwhile; the peer
 * (FastAPI + PyTorch) alongside. Then the default server's mappings by owner (/proc/PID/smaps).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { f, table } from '../format.js';
import { load, rss, startProcess } from './processes.js';
import { rollup } from './rollup.js';

export interface MemoryRow {
  variant: string;
  readyMiB: number;
  peakMiB: number;
  throughput: number;
  errors: number;
}

export interface MemoryContext {
  main: string;
  python: string;
  peer: string;
  threads: number;
  checkpoint: string;
  bodies: Buffer[];
  requests: number;
  work: string;
  /** The photos' folder (stages.ts decodes them in its own process). */
  photoDir: string;
  /** More arguments for stages.ts (--warm-up 8,4,2,1). */
  stageArgs?: string[];
}

export interface StageRow {
  stage: string;
  rssMiB: number;
  anonMiB: number;
  /** RSS this stage added to the one before it. */
  addedMiB: number;
}

/**
 * The staged accounting (stages.ts): a serving process built up part by part with its RSS read
 * after each, then loaded with `requests` requests at c=8; the last two rows are its RSS after
 * the load and its peak (VmHWM).
 */
export async function stagedAccounting(ctx: MemoryContext, model: string, runtime: 'libtorch' | 'onnx'): Promise<StageRow[]> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'stages.js');
  const args = [script, model, ctx.photoDir, ...(runtime === 'onnx' ? ['--runtime', 'onnx'] : []), ...(ctx.stageArgs ?? [])];
  const p = await startProcess(process.execPath, args, /ready on (http:\/\/127\.0\.0\.1:\d+)/);
  try {
    const rows: StageRow[] = [];
    const add = (stage: string, rssMiB: number, anonMiB: number) =>
      rows.push({ stage, rssMiB, anonMiB, addedMiB: rssMiB - (rows.length ? rows[rows.length - 1]!.rssMiB : 0) });
    for (const line of p.stderr().split('\n')) {
      if (!line.startsWith('{')) continue;
      const s = JSON.parse(line) as { stage: string; rssMiB: number; anonMiB: number };
      add(s.stage, s.rssMiB, s.anonMiB);
    }
    const r = await load(p.url, ctx.bodies, 8, { amount: ctx.requests });
    if (r.errors + r.timeouts + r.non2xx) throw new Error(`stages: ${r.errors + r.timeouts + r.non2xx} failed requests`);
    const after = rollup(p.child.pid!);
    add(`after ${ctx.requests} requests at c=8`, after.rssMiB, after.anonMiB);
    add('peak (VmHWM)', rss(p.child.pid!).peak, NaN);
    console.log(
      '\n' +
        table(
          [`staged: ${runtime} serving process`, 'RSS MiB', 'anonymous MiB', 'added MiB'],
          rows.map((r) => [r.stage, f(r.rssMiB, 1), f(r.anonMiB, 1), f(r.addedMiB, 1)]),
        ),
    );
    return rows;
  } finally {
    await p.stop();
  }
}

/** Mappings of a process grouped by what they hold, MiB of RSS each. */
export function mappingsByOwner(pid: number): Record<string, number> {
  const groups: Record<string, number> = {};
  let owner = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1]!;
      owner = !path
        ? 'anonymous (JS heaps, malloc arenas, tensors)'
        : path === '[heap]'
          ? 'main heap (brk)'
          : path.startsWith('[')
            ? 'stacks and kernel'
            : /libtorch|libc10|libgomp|dnnl|openblas|libshm/.test(path)
              ? 'libtorch, oneDNN, OpenMP, BLAS (code)'
              : /\/node$|python3/.test(path)
                ? 'runtime binary (node / python)'
                : /sharp|vips/.test(path)
                  ? 'sharp / libvips (code)'
                  : 'other shared libraries (code)';
      continue;
    }
    const m = /^Rss:\s+(\d+) kB/.exec(line);
    if (m) groups[owner] = (groups[owner] ?? 0) + Number(m[1]) / 1024;
  }
  return groups;
}

async function measure(variant: string, cmd: string, args: string[], ready: RegExp, env: Record<string, string>, ctx: MemoryContext) {
  const p = await startProcess(cmd, args, ready, env);
  try {
    await new Promise((r) => setTimeout(r, 1000)); // let a peer's uvicorn bind
    const readyMiB = rss(p.child.pid!).now;
    const r = await load(p.url, ctx.bodies, 8, { amount: ctx.requests });
    const row: MemoryRow = {
      variant,
      readyMiB,
      peakMiB: rss(p.child.pid!).peak,
      throughput: r.requests.total / r.duration,
      errors: r.errors + r.timeouts + r.non2xx,
    };
    return { row, owners: mappingsByOwner(p.child.pid!) };
  } finally {
    await p.stop();
  }
}

/** Runs every variant; prints the two tables and returns their rows. */
export async function memoryAccounting(ctx: MemoryContext) {
  const fgReady = /ready on (http:\/\/127\.0\.0\.1:\d+)/;
  const serve = (extra: string[] = [], checkpoint = ctx.checkpoint) => [
    ctx.main,
    'serve',
    '--checkpoint',
    checkpoint,
    '--port',
    '0',
    '--no-web',
    '--max-queue',
    '256',
    ...extra,
  ];
  const onnx = join(ctx.work, 'memory.onnx');
  const exported = spawnSync(process.execPath, [ctx.main, 'export', '--checkpoint', ctx.checkpoint, '--out', onnx], { encoding: 'utf8' });
  if (exported.status !== 0) throw new Error(`export failed: ${exported.stderr}`);
  const variants: [string, string[], Record<string, string>][] = [
    ['finegrain serve (as shipped)', [], {}],
    ["glibc's defaults (FINEGRAIN_HOST_MEMORY=system)", [], { FINEGRAIN_HOST_MEMORY: 'system' }],
    ['no activation arena (FINEGRAIN_TENSOR_CACHE_MIB=0)', [], { FINEGRAIN_TENSOR_CACHE_MIB: '0' }],
    ['every batch size (--batch-sizes 8,7,6,5,4,3,2,1)', ['--batch-sizes', '8,7,6,5,4,3,2,1'], {}],
    ['no warm-up (--no-warm-up)', ['--no-warm-up'], {}],
    ['no paced garbage collection (--gc-interval-ms 0)', ['--gc-interval-ms', '0'], {}],
    ['ONNX Runtime (--runtime onnx, no libtorch)', ['--runtime', 'onnx'], {}],
  ];
  const measured = [];
  for (const [variant, extra, env] of variants) {
    const args = variant.startsWith('ONNX') ? serve(extra, onnx) : serve(extra);
    measured.push(await measure(variant, process.execPath, args, fgReady, env, ctx));
  }
  const port = 19000 + Math.floor(Math.random() * 1000);
  const peer = await measure(
    'peer: FastAPI + PyTorch',
    ctx.python,
    [ctx.peer, ctx.checkpoint, String(port), String(ctx.threads)],
    /peer ready on (http:\/\/127\.0\.0\.1:\d+)/,
    {},
    ctx,
  );
  const rows = [...measured, peer].map((m) => m.row);
  // The mappings of the server as shipped (the first variant) beside the peer's.
  const owners = measured[0]!.owners;
  const peerOwners = peer.owners;
  const base = rows[0]!;
  console.log(
    '\n' +
      table(
        ['memory: variant (one server each)', 'ready MiB', `peak MiB after ${ctx.requests} req (c=8)`, 'vs as shipped', 'req/s', 'errors'],
        rows.map((r) => [
          r.variant,
          f(r.readyMiB, 0),
          f(r.peakMiB, 0),
          `${r.peakMiB >= base.peakMiB ? '+' : ''}${f(r.peakMiB - base.peakMiB, 0)}`,
          f(r.throughput, 1),
          String(r.errors),
        ]),
      ),
  );
  const names = [...new Set([...Object.keys(owners), ...Object.keys(peerOwners)])].sort((a, b) => (owners[b] ?? 0) - (owners[a] ?? 0));
  console.log(
    '\n' +
      table(
        ['after the load: mappings by owner', 'finegrain MiB', 'peer MiB'],
        names.map((n) => [n, f(owners[n] ?? 0, 1), f(peerOwners[n] ?? 0, 1)]),
      ),
  );
  const staged = await stagedAccounting(ctx, ctx.checkpoint, 'libtorch');
  const stagedOnnx = await stagedAccounting(ctx, onnx, 'onnx');
  return { rows, owners, peerOwners, staged, stagedOnnx };
}
