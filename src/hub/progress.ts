/**
 * A one-line download progress bar on stderr, redrawn in place at most ten times a second,
 * or nothing at all: it is shown only when asked (by default when stderr is a terminal), so
 * logs and CI output never fill with carriage returns.
 *
 * @example
 *   const bar = progressBar('resnet50-11ad3fa6.pth', 102_540_417, process.stderr.isTTY);
 *   bar.update(65536); … bar.done();
 */

export interface ProgressBar {
  /** The byte count now reached (absolute, so a resumed download starts part-way). */
  update(bytes: number): void;
  /** Ends the line. */
  done(): void;
}

const SILENT: ProgressBar = { update() {}, done() {} };

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/**
 * A bar for `label` of `total` bytes (undefined: unknown size), drawing when `enabled`.
 *
 * @example
 *   const bar = progressBar('model.safetensors', undefined, true); // shows bytes and speed only
 */
export function progressBar(label: string, total: number | undefined, enabled: boolean): ProgressBar {
  if (!enabled) return SILENT;
  const started = Date.now();
  let first: number | undefined;
  let last = 0;
  let current = 0;
  const draw = (): void => {
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    const speed = `${mb((current - (first ?? 0)) / seconds)} MB/s`;
    const width = 24;
    const head = total ? `${Math.floor((100 * current) / total)}%`.padStart(4) : '';
    const bar = total ? `[${'#'.repeat(Math.round((width * current) / total)).padEnd(width)}] ` : '';
    const size = total ? `${mb(current)}/${mb(total)} MB` : `${mb(current)} MB`;
    process.stderr.write(`\r${label} ${head} ${bar}${size} ${speed}\x1b[K`);
  };
  return {
    update(bytes) {
      first ??= bytes;
      current = bytes;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        draw();
      }
    },
    done() {
      draw();
      process.stderr.write('\n');
    },
  };
}
