/**
 * A run folder holds everything about one training run:
 *
 *     runs/<name>/
 *       config.json          the resolved configuration (what `--resume` continues)
 *       classes.json         class names in label order
 *       metrics.jsonl        one JSON record per epoch (and per pseudo-label round)
 *       curves.png           loss and accuracy curves
 *       checkpoints/last.safetensors, best.safetensors (+ .json readable copies)
 *       crops/epoch-N.png    chosen attention crops drawn on a few training images
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { appendFileDurable, writeFileAtomic } from '../io/atomic-write.js';
import { join, resolve } from 'node:path';
import { UsageError } from '../usage-error.js';

/** One line of metrics.jsonl: an epoch's record (round, epoch, losses, accuracies, ...). */
export interface MetricRecord {
  round?: number;
  epoch?: number;
  [key: string]: unknown;
}

export class RunFolder {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(join(this.dir, 'checkpoints'), { recursive: true });
  }

  /**
   * A fresh folder under `out` (name given, or `<prefix>-<timestamp>`). Refuses to reuse a folder
   * that holds a run.
   */
  static create(out: string, name?: string, prefix = 'run'): RunFolder {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
    const dir = join(out, name ?? `${prefix}-${stamp}`);
    if (existsSync(join(dir, 'config.json'))) {
      throw new UsageError(`${dir} already holds a run: pass --resume ${dir} to continue it, or choose another --name`);
    }
    return new RunFolder(dir);
  }

  /**
   * Undoes `create()` for a run that failed before it began (bad data, a bad model name): the
   * files it wrote go, and the folder too when that leaves it empty, so the user's next try
   * (same second, same default name) is not told the folder already holds a run.
   */
  discardUnstarted(): void {
    for (const f of ['config.json', 'classes.json', 'skipped.json']) rmSync(this.path(f), { force: true });
    for (const d of [this.path('checkpoints'), this.dir]) {
      try {
        if (readdirSync(d).length === 0) rmdirSync(d);
      } catch {
        // already gone, or not ours to remove
      }
    }
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  get lastCheckpoint(): string {
    return this.path('checkpoints', 'last.safetensors');
  }

  get bestCheckpoint(): string {
    return this.path('checkpoints', 'best.safetensors');
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.path(name), JSON.stringify(value, null, 2) + '\n');
  }

  readJson<T>(name: string): T {
    return JSON.parse(readFileSync(this.path(name), 'utf8')) as T;
  }

  appendMetrics(record: Record<string, unknown>): void {
    appendFileDurable(this.path('metrics.jsonl'), JSON.stringify(record) + '\n');
  }

  /** Metric records, optionally only those a checkpoint covers (a resumed run rewrites the rest). */
  readMetrics(): MetricRecord[] {
    const file = this.path('metrics.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l)];
        } catch {
          return []; // a line cut by a kill
        }
      });
  }

  /** Keeps only records `keep` accepts (resuming drops records written after the checkpoint). */
  rewriteMetrics(keep: (r: MetricRecord) => boolean): void {
    const kept = this.readMetrics().filter(keep);
    writeFileAtomic(this.path('metrics.jsonl'), kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}
