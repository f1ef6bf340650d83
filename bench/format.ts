/** Text helpers every benchmark's report and flag parsing share. */
import type { Summary } from './engine/stats.js';

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number with fixed digits, '-' when not finite. */
export const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** median [p25-p75] */
export const spread = (s: Summary, digits = 1) => `${f(s.median, digits)} [${f(s.p25, digits)}-${f(s.p75, digits)}]`;

/** A positive-integer flag value, or `fallback` when the flag is absent. */
export function positiveInt(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`expected a positive integer, got '${v}'`);
  return n;
}
