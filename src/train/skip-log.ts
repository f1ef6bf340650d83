/**
 * Files a run could not use, reported where the user looks: each new skipped file is
 * printed the first time it is seen (while listing the data, or when the loader fails to
 * decode it in an epoch or an evaluation), the run folder's `skipped.json` always holds
 * the full list with reasons, and the run ends with the one-line summary.
 *
 * @example
 *   const skips = new SkipLog(folder.path('skipped.json'), log);
 *   skips.note(loader.report());      // prints "skipped: birds/a/x.jpg (truncated: …)" once
 *   log(skips.summary());             // "3 files skipped: 2 truncated, 1 not-an-image"
 */
import { writeFileAtomic } from '../io/atomic-write.js';
import { SkipReport, type SkippedFile } from '../data/skip-report.js';

export class SkipLog {
  private readonly seen = new Set<string>();
  private readonly all = new SkipReport();

  constructor(
    private readonly file: string,
    private readonly log: (line: string) => void,
    /** Per-file lines printed at most (the rest are counted, and all are in the file). */
    private readonly printLimit = 20,
  ) {}

  /** Records the entries of `report` not seen before; prints them and rewrites the file when there are any. */
  note(report: SkipReport | readonly SkippedFile[]): void {
    const entries = report instanceof SkipReport ? report.files : report;
    let fresh = 0;
    for (const e of entries) {
      const key = `${e.path}\u0000${e.reason}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.all.add(e.path, e.reason, e.detail);
      if (this.all.count <= this.printLimit) this.log(`skipped: ${e.path} (${e.reason}${e.detail ? `: ${e.detail}` : ''})`);
      else if (this.all.count === this.printLimit + 1) this.log(`skipped: more files; the full list is in ${this.file}`);
      fresh++;
    }
    if (fresh) writeFileAtomic(this.file, JSON.stringify(this.all.toJSON(), null, 2) + '\n');
  }

  get count(): number {
    return this.all.count;
  }

  summary(): string {
    return this.all.summary() + (this.all.count ? ` (listed in ${this.file})` : '');
  }
}
