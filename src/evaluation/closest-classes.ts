/**
 * "Did you mean": the class names nearest to a name that is not one of them, for answers to
 * an unknown claimed class or hierarchy node.
 */
/**
 * Class names nearest to `name` (case-insensitive edit distance, substring matches first),
 * for "did you mean" answers to an unknown claimed class.
 *
 * @example
 *   closestClasses('bmw m3 coupe', classes, 3); // ['BMW M3 Coupe 2012', ...]
 */
export function closestClasses(name: string, classes: readonly string[], n = 5): string[] {
  const q = name.toLowerCase().trim();
  const scored = classes.map((c) => {
    const l = c.toLowerCase();
    return { c, d: (l.includes(q) || q.includes(l) ? 0 : 1000) + editDistance(q, l) };
  });
  return scored
    .sort((a, b) => a.d - b.d)
    .slice(0, n)
    .map((s) => s.c);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
