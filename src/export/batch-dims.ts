/**
 * Which dims and arguments depend on the batch size. The exporter traces the forward pass
 * twice, at two batch sizes; a dim or integer that differs between the two traces is a
 * multiple of the batch (`{ batch: k }` = k·N) and becomes dynamic in the graph, everything
 * else is a constant. This is how a `view(n, -1)` or a class token expanded to the batch keeps
 * the exported model's batch axis free without any model saying where its batch is.
 *
 * @example
 *   symbolicDims([2, 197, 768], [3, 197, 768], 2, 3); // [{ batch: 1 }, 197, 768]
 */

/** A dim: a number, or k times the batch size. */
export type SymDim = number | BatchDim;

/** k times the batch size. */
export interface BatchDim {
  readonly batch: number;
}

export const isDynamic = (d: SymDim): d is BatchDim => typeof d !== 'number';

/** Compares one integer between the traces at batch sizes `na` and `nb`. */
export function symbolicInt(a: number, b: number, na: number, nb: number): SymDim | null {
  if (a === b) return a;
  const k = a / na;
  return Number.isInteger(k) && k * nb === b ? { batch: k } : null;
}

/** Symbolic shape from the same value's shapes in both traces; throws if a dim is not a batch multiple. */
export function symbolicDims(a: readonly number[], b: readonly number[], na: number, nb: number): SymDim[] {
  if (a.length !== b.length) throw new Error(`rank changes with the batch size ([${a}] vs [${b}])`);
  return a.map((x, i) => {
    const d = symbolicInt(x, b[i]!, na, nb);
    if (d === null) throw new Error(`dim ${i} changes with the batch size but is not a multiple of it ([${a}] vs [${b}])`);
    return d;
  });
}

/** Whether two recorded literals are the same. */
export function sameLiteral(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameLiteral(x, b[i]));
  return Object.is(a, b) || (typeof a === 'bigint' && a === b);
}
