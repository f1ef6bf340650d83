/**
 * A progress line for training and evaluation: loss, accuracy, images/s and ETA. On a
 * terminal it redraws one line; elsewhere (CI logs, files) it prints a line every
 * `everySeconds` so logs stay readable.
 *
 * @example
 *   const bar = new ProgressBar('epoch 1/10', totalSteps);
 *   bar.update(step, { loss: 0.7, acc: 0.61 }, imagesSoFar);
 *   bar.done();
 */
export class ProgressBar {
  readonly #label: string;
  readonly #total: number;
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #everyMs: number;
  readonly #started = Date.now();
  #lastPrint = 0;
  #line = '';

  constructor(label: string, total: number, options: { stream?: NodeJS.WriteStream; everySeconds?: number; quiet?: boolean } = {}) {
    this.#label = label;
    this.#total = Math.max(1, total);
    this.#out = options.stream ?? process.stderr;
    this.#tty = Boolean(this.#out.isTTY) && !options.quiet;
    this.#everyMs = options.quiet ? Infinity : (options.everySeconds ?? 10) * 1000;
  }

  update(done: number, values: Record<string, number>, images: number): void {
    const elapsed = (Date.now() - this.#started) / 1000;
    const rate = images / Math.max(elapsed, 1e-9);
    const eta = done > 0 ? (elapsed / done) * (this.#total - done) : NaN;
    const width = 24;
    const filled = Math.round((width * Math.min(done, this.#total)) / this.#total);
    const shown = Object.entries(values)
      .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
      .join('  ');
    this.#line = `${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.#total}  ${shown}  ${rate.toFixed(1)} img/s  ETA ${formatSeconds(eta)}`;
    const now = Date.now();
    if (this.#tty) this.#out.write(`\r${this.#line}\x1b[K`);
    else if (now - this.#lastPrint >= this.#everyMs) {
      this.#out.write(this.#line + '\n');
      this.#lastPrint = now;
    }
  }

  done(): void {
    if (this.#tty) this.#out.write('\n');
    else if (this.#everyMs !== Infinity && this.#line) this.#out.write(this.#line + '\n');
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
