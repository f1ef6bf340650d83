/**
 * Time budgets as people write them: `30m`, `1h30m`, `90s`, `2h`, `45` (seconds), or a number
 * of seconds from the library. One parser for the CLI flag, the config file and `train()`.
 *
 * @example
 *   parseDuration('1h30m'); // 5400
 *   formatDuration(5400);   // "1h30m"
 */
import { UsageError } from '../../usage-error.js';

const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };

/** Seconds in a duration (`30m`, `1h30m`, `90s`, `2.5h`, or a plain number of seconds). */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`budget: expected a positive number of seconds, got ${value}`);
    return value;
  }
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text));
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*([hms])/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (!parts.length || consumed.replace(/\s/g, '') !== text.replace(/\s/g, ''))
    throw new UsageError(`budget: cannot read '${value}' as a duration (examples: 30m, 1h30m, 90s, 2h)`);
  const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]!]!, 0);
  if (!(seconds > 0)) throw new UsageError(`budget: '${value}' is no time at all`);
  return seconds;
}

/** A duration for messages: `1h30m`, `12m05s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h${m ? String(m).padStart(2, '0') + 'm' : ''}`;
  if (m) return `${m}m${r ? String(r).padStart(2, '0') + 's' : ''}`;
  return `${r}s`;
}
