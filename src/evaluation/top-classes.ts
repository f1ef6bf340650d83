/**
 * The best classes of one row of scores, and a class's rank, without sorting the row: a
 * request wants its top 5 of 4,000 series, and a full sort per image is the largest piece of
 * JavaScript work in a served batch. Order and ties are those of a stable descending sort
 * (equal scores: the lower class index first), so results match sorting the whole row.
 *
 * @example
 *   topClasses(new Float32Array([0.1, 0.7, 0.2]), 2);   // [1, 2]
 *   rankOf(new Float32Array([0.1, 0.7, 0.2]), 0);       // 3
 *   argmaxRows(new Float32Array([0.1, 0.7, 0.5, 0.2]), 2); // [1, 0]
 */

/** Whether class `a` comes before class `b` (higher score; equal scores by index). */
function before(row: ArrayLike<number>, a: number, b: number): boolean {
  return row[a]! > row[b]! || (row[a] === row[b] && a < b);
}

/** Indices of the `k` highest scores, best first. */
export function topClasses(row: ArrayLike<number>, k: number): number[] {
  const n = row.length;
  const want = Math.max(0, Math.min(Math.floor(k), n));
  if (want === 0) return [];
  if (want > 64) {
    const all = Array.from({ length: n }, (_, i) => i);
    return all.sort((a, b) => (before(row, a, b) ? -1 : before(row, b, a) ? 1 : 0)).slice(0, want);
  }
  // A sorted list of the best `want` so far; a new class enters only if it beats the last.
  const best: number[] = [];
  for (let c = 0; c < n; c++) {
    if (best.length === want && !before(row, c, best[want - 1]!)) continue;
    let at = best.length === want ? want - 1 : best.length;
    while (at > 0 && before(row, c, best[at - 1]!)) at--;
    best.splice(at, 0, c);
    if (best.length > want) best.pop();
  }
  return best;
}

/** 1-based rank of class `c` in the row (1: the top class). */
export function rankOf(row: ArrayLike<number>, c: number): number {
  if (!(c >= 0 && c < row.length)) throw new RangeError(`rankOf: class ${c} outside [0, ${row.length})`);
  let rank = 1;
  for (let j = 0; j < row.length; j++) if (j !== c && before(row, j, c)) rank++;
  return rank;
}

/**
 * The top class of each row of a row-major [rows, K] array (logits from ONNX Runtime, a
 * tensor's `toTypedArray()`), equal scores to the lower index as `topClasses` breaks them.
 */
export function argmaxRows(scores: ArrayLike<number>, rows: number): number[] {
  if (!(rows > 0) || scores.length % rows !== 0) throw new RangeError(`argmaxRows: ${scores.length} scores do not split into ${rows} rows`);
  const k = scores.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let best = r * k;
    for (let j = best + 1; j < (r + 1) * k; j++) if (scores[j]! > scores[best]!) best = j;
    return best - r * k;
  });
}
