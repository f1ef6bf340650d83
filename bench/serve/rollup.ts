/**
 * A process's resident and anonymous memory from /proc/PID/smaps_rollup, MiB. Its own module,
 * free of imports, so stages.ts can read its own without loading anything it measures.
 */
import { readFileSync } from 'node:fs';

export function rollup(pid: number | 'self' = 'self'): { rssMiB: number; anonMiB: number } {
  const s = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rssMiB: kb('Rss') / 1024, anonMiB: kb('Anonymous') / 1024 };
}
