/**
 * What the pipeline left out and why. Datasets record files they cannot use while listing
 * (unknown labels, empty class folders, unreadable entries); the loader records images that
 * fail to decode. Nothing is dropped silently and nothing stops the run: the summary says
 * how many files were skipped, grouped by reason.
 *
 * @example
 *   const report = new SkipReport();
 *   report.add('birds/a.jpg', 'truncated', 'VipsJpeg: premature end of JPEG file');
 *   console.log(report.summary()); // "1 file skipped: 1 truncated"
 */

/** Why a file (or class folder) was left out. */
export type SkipReason =
  | 'missing' // listed but not on disk (or a dangling link)
  | 'unreadable' // permission denied, a directory, an I/O error
  | 'empty-file' // zero bytes
  | 'not-an-image' // no known image format (e.g. text named .jpg)
  | 'truncated' // the data ends early
  | 'corrupt' // the decoder failed for another reason
  | 'too-large' // more pixels than the decompression-bomb limit
  | 'unsupported-extension' // in a class folder but not an image file name
  | 'unknown-label' // names no class of the dataset
  | 'missing-label' // no label given
  | 'empty-class'; // a class folder without usable images

/** One file (or class folder) left out, and why. */
export interface SkippedFile {
  /** The file or folder, as the dataset listed it. */
  readonly path: string;
  /** Why it was left out. */
  readonly reason: SkipReason;
  /** The underlying message (decoder or file-system error), for humans. */
  readonly detail: string;
}

/**
 * The list of files left out, with reasons, and its summary.
 *
 * @example
 *   const report = new SkipReport(); report.add('a.jpg', 'truncated');
 */
export class SkipReport {
  private readonly entries: SkippedFile[] = [];

  /** Records that `path` was left out for `reason`; `detail` is the underlying message, for humans. */
  add(path: string, reason: SkipReason, detail = ''): void {
    this.entries.push({ path, reason, detail });
  }

  /** Adds every entry of another report. */
  merge(other: SkipReport): this {
    for (const e of other.files) this.entries.push(e);
    return this;
  }

  /** How many files were left out. */
  get count(): number {
    return this.entries.length;
  }

  /** Every entry, in the order they were added. */
  get files(): readonly SkippedFile[] {
    return this.entries;
  }

  /** Count per reason, most frequent first. */
  byReason(): Map<SkipReason, number> {
    const counts = new Map<SkipReason, number>();
    for (const e of this.entries) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
    return new Map([...counts].sort((a, b) => b[1] - a[1]));
  }

  /** One line: "3 files skipped: 2 truncated, 1 not-an-image" (or "no files skipped"). */
  summary(): string {
    if (!this.entries.length) return 'no files skipped';
    const parts = [...this.byReason()].map(([r, n]) => `${n} ${r}`);
    return `${this.entries.length} file${this.entries.length === 1 ? '' : 's'} skipped: ${parts.join(', ')}`;
  }

  /** The summary plus one line per skipped file (the first `limit`). */
  details(limit = 50): string {
    const lines = [this.summary()];
    for (const e of this.entries.slice(0, limit)) lines.push(`  ${e.reason}: ${e.path}${e.detail ? ` (${e.detail})` : ''}`);
    if (this.entries.length > limit) lines.push(`  ... and ${this.entries.length - limit} more`);
    return lines.join('\n');
  }

  /** The report as plain data, for `JSON.stringify` (run summaries, `finegrain eval --json`). */
  toJSON(): {
    /** How many files were left out. */
    count: number;
    /** Count per reason, most frequent first. */
    byReason: Record<string, number>;
    /** Every entry. */
    files: SkippedFile[];
  } {
    return { count: this.count, byReason: Object.fromEntries(this.byReason()), files: [...this.entries] };
  }
}
