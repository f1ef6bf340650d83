/**
 * The fixed 2-D sine-cosine position embedding of MAE (He et al. 2022; the reference's
 * `get_2d_sincos_pos_embed`): for a grid of `side`×`side` patches in row-major order, the first
 * half of the `dim` channels encodes the patch's column and the second half its row, each as
 * [sin(p·ω_k), cos(p·ω_k)] with ω_k = 10000^(−k/(dim/4)). With `classToken`, a zero row comes
 * first. The reference names the halves the other way round (its meshgrid puts the column first);
 * the values are the same.
 *
 * @example
 *   const pe = sincosPositionEmbedding(192, 14, { classToken: true });   // Float32Array of 197·192
 */

/**
 * Values [rows, dim], row-major, where rows = side² (+1 with `classToken`).
 *
 * @example
 *   sincosPositionEmbedding(8, 2).length;   // 4 patches × 8 channels = 32
 */
export function sincosPositionEmbedding(dim: number, side: number, options: { classToken?: boolean } = {}): Float32Array {
  if (!Number.isInteger(dim) || dim <= 0 || dim % 4) throw new RangeError(`sincosPositionEmbedding: dim must be a positive multiple of 4, got ${dim}`);
  const quarter = dim / 4;
  const offset = options.classToken ? 1 : 0;
  const out = new Float32Array((side * side + offset) * dim);
  const omega = Array.from({ length: quarter }, (_, k) => 1 / 10000 ** (k / quarter));
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const base = (offset + row * side + col) * dim;
      for (let k = 0; k < quarter; k++) {
        out[base + k] = Math.sin(col * omega[k]!);
        out[base + quarter + k] = Math.cos(col * omega[k]!);
        out[base + 2 * quarter + k] = Math.sin(row * omega[k]!);
        out[base + 3 * quarter + k] = Math.cos(row * omega[k]!);
      }
    }
  }
  return out;
}
