// Builds the native addon (native/src/*.cc) against the libtorch that find-libtorch.mjs
// finds, into build/native/finegrain.node. Objects are rebuilt only when their source or a
// header changed; `--force` rebuilds all. Compiles run in parallel, one per core.
// `--bench` builds the benchmarks' own addons instead, never part of the library's: each
// bench/<name>/<file>.cc becomes build/bench/<name>/<file>.node (scripts/run-bench.mjs runs
// this before a benchmark that has one).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findLibtorch, HOW_TO_FIX } from './find-libtorch.mjs';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native/src');
const out = join(root, 'build/native');
const force = process.argv.includes('--force');
const benchOnly = process.argv.includes('--bench');

function nodeHeaders() {
  const candidates = [
    process.env.NODE_HEADERS,
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
    join(dirname(process.execPath), '../include/node'),
    '/usr/include/node',
    join(process.env.HOME ?? '', `.cache/node-gyp/${process.versions.node}/include/node`),
  ].filter(Boolean);
  const found = candidates.find((d) => existsSync(join(d, 'node_api.h')));
  if (!found) throw new Error(`Node headers (node_api.h) not found; set NODE_HEADERS. Looked in: ${candidates.join(', ')}`);
  return found;
}

const torch = findLibtorch();
if (!torch) {
  console.error(HOW_TO_FIX);
  process.exit(1);
}
mkdirSync(out, { recursive: true });

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Several processes (tests, helpers) may build at once: a lock folder serialises them.
const lock = join(out, '.lock');
for (let waited = 0; ; waited += 200) {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    break;
  } catch {
    // A build killed mid-way leaves its lock behind: take it over when its process is gone.
    const owner = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : 0);
    if (owner && !alive(owner)) rmSync(lock, { recursive: true, force: true });
    if (waited > 600_000) throw new Error(`build lock ${lock} held for 10 minutes; remove it if no build is running`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}
process.on('exit', () => rmSync(lock, { recursive: true, force: true }));

const flags = [
  '-O2',
  '-std=c++17',
  '-fPIC',
  '-fvisibility=hidden',
  '-Wno-deprecated-declarations',
  '-Wno-unused-parameter',
  `-I${nodeHeaders()}`,
  ...torch.include.map((d) => `-I${d}`),
  '-DNODE_GYP_MODULE_NAME=finegrain',
];
if (torch.cuda) flags.push('-DFINEGRAIN_CUDA=1');
// Distributed training (native/src/distributed.cc) needs libtorch's c10d headers and Gloo's
// (Debian: libgloo-dev; pip PyTorch ships them); the c10d headers hide the Gloo group unless
// USE_DISTRIBUTED and USE_C10D_GLOO are defined. NCCL joins on CUDA builds that have nccl.h.
// Without them distributed.cc compiles to stubs that throw a clear error.
// FINEGRAIN_DISTRIBUTED=0 turns it off (e.g. when a libtorch's c10d headers do not compile).
const searchDirs = [...torch.include, '/usr/include', '/usr/local/include'];
const hasHeader = (rel) => searchDirs.some((d) => existsSync(join(d, rel)));
const distributed = process.env.FINEGRAIN_DISTRIBUTED !== '0' && hasHeader('torch/csrc/distributed/c10d/ProcessGroupGloo.hpp') && hasHeader('gloo/algorithm.h');
const distributedFlags = [];
if (distributed) {
  distributedFlags.push('-DUSE_DISTRIBUTED', '-DUSE_C10D_GLOO');
  // Debian's libtorch-dev lacks the distributed autograd headers reducer.hpp includes.
  if (!hasHeader('torch/csrc/distributed/autograd/context/context.h')) distributedFlags.push(`-I${join(root, 'native/compat')}`);
  const ncclDirs = [process.env.NCCL_INCLUDE, join(torch.root, '../nvidia/nccl/include')].filter(Boolean);
  const ncclDir = ncclDirs.find((d) => existsSync(join(d, 'nccl.h')));
  // ProcessGroupNCCL.hpp includes ATen's CUDA headers, which need the CUDA runtime's headers.
  const cudaDirs = [process.env.CUDA_HOME, '/usr/local/cuda'].filter(Boolean).map((d) => join(d, 'include'));
  const cudaDir = cudaDirs.find((d) => existsSync(join(d, 'cuda_runtime_api.h')));
  // FINEGRAIN_NCCL=0 keeps Gloo and leaves NCCL out (e.g. when its headers do not compile).
  if (process.env.FINEGRAIN_NCCL !== '0' && torch.cuda && (ncclDir || hasHeader('nccl.h')) && hasHeader('torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp')) {
    distributedFlags.push('-DUSE_C10D_NCCL', '-DUSE_NCCL');
    if (ncclDir) distributedFlags.push(`-I${ncclDir}`);
    if (cudaDir) distributedFlags.push(`-I${cudaDir}`);
  }
}
// Convolution plans (native/src/onednn-conv.cc) call oneDNN directly, so they must use the very
// libdnnl libtorch_cpu links (Debian's libtorch does; a pip PyTorch links a static copy, and a
// second oneDNN in the process is not what its convolutions run on): built only when ldd shows
// libtorch_cpu's libdnnl and its headers are installed (Debian: libdnnl-dev). Without them
// the file compiles to stubs and inference keeps aten::conv2d. FINEGRAIN_ONEDNN=0 turns it off.
function libtorchDnnl() {
  try {
    const out = execFileSync('ldd', [join(torch.lib, 'libtorch_cpu.so')], { encoding: 'utf8' });
    return /libdnnl\.so\S*\s+=>\s+(\S+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}
const dnnlLibrary = process.env.FINEGRAIN_ONEDNN !== '0' && hasHeader('dnnl.hpp') ? libtorchDnnl() : null;
const onednnFlags = dnnlLibrary ? ['-DFINEGRAIN_ONEDNN=1'] : [];
const headers = readdirSync(src)
  .filter((f) => f.endsWith('.h'))
  .map((f) => join(src, f));
const newestHeader = Math.max(0, ...headers.map((h) => statSync(h).mtimeMs));
const sources = readdirSync(src).filter((f) => f.endsWith('.cc'));
const target = join(out, 'finegrain.node');
// The build depends on which libtorch was used: a different one forces a rebuild.
const stampFile = join(out, 'libtorch.json');
const stamp = JSON.stringify({ torch, flags, distributedFlags, onednnFlags });
const sameTorch = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;

const stale = (from, to) => force || !sameTorch || !existsSync(to) || statSync(to).mtimeMs < Math.max(statSync(from).mtimeMs, newestHeader);
const queue = benchOnly ? [] : sources.filter((f) => stale(join(src, f), join(out, basename(f, '.cc') + '.o')));
// The sources the addon was last linked from: a source added or removed needs a new link.
const linkedFile = join(out, 'linked.json');
const linkedSame = existsSync(linkedFile) && readFileSync(linkedFile, 'utf8') === JSON.stringify(sources);
const libs = ['-ltorch', '-ltorch_cpu', '-lc10', ...(torch.cuda ? ['-ltorch_cuda', '-lc10_cuda'] : [])];

async function compile(file) {
  const started = Date.now();
  const own = file === 'distributed.cc' ? distributedFlags : file === 'onednn-conv.cc' ? onednnFlags : [];
  await run('g++', [...flags, ...own, '-c', join(src, file), '-o', join(out, basename(file, '.cc') + '.o')], { maxBuffer: 64 << 20 });
  console.log(`  compiled ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// A benchmark's addon: one source compiled and linked in one step, against the same libtorch.
async function buildBenchAddons() {
  const benchRoot = join(root, 'bench');
  for (const name of readdirSync(benchRoot).sort()) {
    const dir = join(benchRoot, name);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cc'))) {
      const dest = join(root, 'build/bench', name, basename(file, '.cc') + '.node');
      const stampOf = dest + '.json';
      const fresh =
        !force &&
        existsSync(dest) &&
        statSync(dest).mtimeMs >= statSync(join(dir, file)).mtimeMs &&
        existsSync(stampOf) &&
        readFileSync(stampOf, 'utf8') === stamp;
      if (fresh) continue;
      const started = Date.now();
      mkdirSync(dirname(dest), { recursive: true });
      await run('g++', [...flags, '-shared', '-o', dest + '.tmp', join(dir, file), `-L${torch.lib}`, ...libs, `-Wl,-rpath,${torch.lib}`], {
        maxBuffer: 64 << 20,
      });
      renameSync(dest + '.tmp', dest);
      writeFileSync(stampOf, stamp);
      console.log(`  built ${dest} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }
}

try {
  if (benchOnly) {
    await buildBenchAddons();
    process.exit(0);
  }
  if (queue.length) {
    console.log(`building native addon against libtorch from ${torch.source} (${torch.root})`);
    // What this build has and what it skipped, so an install says so instead of failing later.
    console.log(`  distributed training (c10d, Gloo): ${distributed ? 'yes' : 'skipped (Gloo headers not found; Debian: libgloo-dev)'}`);
    console.log(
      `  oneDNN convolution plans for inference: ${dnnlLibrary ? 'yes' : 'skipped (libtorch links no system libdnnl, or its headers are missing; Debian: libdnnl-dev)'}`,
    );
  }
  const workers = Math.max(1, cpus().length);
  const pending = [...queue];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (pending.length) await compile(pending.shift());
    }),
  );
  const objects = sources.map((f) => join(out, basename(f, '.cc') + '.o'));
  if (queue.length || !existsSync(target) || !linkedSame) {
    // Link beside the target and rename: a process loading the addon never sees a half-written file.
    await run('g++', [
      '-shared',
      '-o',
      target + '.tmp',
      ...objects,
      `-L${torch.lib}`,
      '-Wl,--no-as-needed',
      ...libs,
      ...(dnnlLibrary ? [dnnlLibrary] : []),
      '-Wl,--as-needed',
      `-Wl,-rpath,${torch.lib}`,
    ]);
    renameSync(target + '.tmp', target);
    writeFileSync(stampFile, stamp);
    writeFileSync(linkedFile, JSON.stringify(sources));
    console.log(`  linked ${target}`);
  }
} catch (e) {
  console.error(e.stderr || e.message);
  process.exit(1);
}
