/**
 * Drives scripts/oracle/export_torchvision.py for the parity tests: one Python process per
 * test file exports the file's models in order, in RAM-backed /dev/shm when there is one,
 * at most one model ahead of the checks (Python exports model k+1 while Node checks model k).
 *
 * @example
 *   const run = startExport([{ name: 'resnet18' }, { name: 'resnet50' }]);
 *   const files = await run.ready('resnet18');   // { weights, io }
 *   // ... check, then:
 *   run.done('resnet18');
 *   run.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = process.env.FINEGRAIN_ORACLE_PYTHON ?? '/usr/bin/python3';
const SCRIPT = 'scripts/oracle/export_torchvision.py';

export interface ExportSpec {
  name: string;
  /** Input side (default 64). */
  imageSize?: number;
}

export interface ExportedFiles {
  /** The state dict (a `pretrained` file). */
  weights: string;
  /** `input` and `output` tensors. */
  io: string;
  /** The same state dict written by torch.save (with `pth: true`). */
  pth: string;
}

export interface ExportRun {
  /** Resolves when the model's files are complete (rejects if the exporter failed). */
  ready(name: string): Promise<ExportedFiles>;
  /** Deletes the model's files and lets the exporter move on. */
  done(name: string): void;
  /** Stops the exporter and deletes the folder. */
  close(): void;
}

// RAM-backed /dev/shm keeps multi-gigabyte checkpoints (regnet_y_128gf: 2.6 GB) off slow disks.
function scratchDir(prefix: string): string {
  const shm = existsSync('/dev/shm') ? statfsSync('/dev/shm') : null;
  return mkdtempSync(join(shm && shm.bavail * shm.bsize > 8e9 ? '/dev/shm' : tmpdir(), prefix));
}

export function startExport(specs: ExportSpec[], options: { numClasses?: number; batch?: number; pth?: boolean } = {}): ExportRun {
  const names = specs.map((s) => (s.imageSize ? `${s.name}:${s.imageSize}` : s.name)).join(',');
  return driveExporter(SCRIPT, (dir) => [
    names,
    dir,
    '--lookahead',
    '1',
    '--num-classes',
    String(options.numClasses ?? 1000),
    '--batch',
    String(options.batch ?? 2),
    ...(options.pth ? ['--pth'] : []),
  ]);
}

/**
 * Runs an exporter script (`python3 SCRIPT ...args(dir)`) that writes `<name>.safetensors` and
 * `<name>.io.safetensors` per model into `dir`, prints each weights path when both are
 * complete, and exports the next model after a newline on its stdin.
 */
export function driveExporter(script: string, args: (dir: string) => string[], env: NodeJS.ProcessEnv = process.env): ExportRun {
  const dir = scratchDir('fg-tv-');
  const waiting = new Map<string, { resolve: (f: ExportedFiles) => void; reject: (e: Error) => void }>();
  const finished = new Map<string, ExportedFiles>();
  let failure: Error | null = null;
  let stderr = '';
  const child: ChildProcess = spawn(PYTHON, [script, ...args(dir)], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const weights = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      const name = weights.replace(/^.*\//, '').replace(/\.safetensors$/, '');
      const files = { weights, io: join(dir, `${name}.io.safetensors`), pth: join(dir, `${name}.pth`) };
      finished.set(name, files);
      waiting.get(name)?.resolve(files);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.on('exit', (code, signal) => {
    if (code === 0 || signal === 'SIGTERM') return;
    failure = new Error(`${script} failed (${code ?? signal}):\n${stderr}`);
    for (const w of waiting.values()) w.reject(failure);
  });
  child.stdin!.on('error', () => {}); // the exporter may have exited already

  return {
    ready(name) {
      const done = finished.get(name);
      if (done) return Promise.resolve(done);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.set(name, { resolve, reject }));
    },
    done(name) {
      rmSync(join(dir, `${name}.safetensors`), { force: true });
      rmSync(join(dir, `${name}.io.safetensors`), { force: true });
      rmSync(join(dir, `${name}.pth`), { force: true });
      if (child.exitCode === null) child.stdin!.write('\n');
    },
    close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
