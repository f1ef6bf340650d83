/**
 * Channel-count rounding shared by torchvision (`_make_divisible`) and timm
 * (`make_divisible`): the multiple of `divisor` nearest to `v`, at least `minValue`, and not
 * more than (1 - roundLimit) below `v`. Models must round exactly as their reference does, or
 * checkpoints will not load.
 *
 * @example
 *   makeDivisible(32 * 1.1, 8);                       // 40 (EfficientNet-B2's stem)
 *   makeDivisible(64 / 16, 8, { roundLimit: 0 });     // 8 (timm's SE reduction)
 */
export function makeDivisible(v: number, divisor = 8, options: { minValue?: number; roundLimit?: number } = {}): number {
  const minValue = options.minValue || divisor;
  const roundLimit = options.roundLimit ?? 0.9;
  let out = Math.max(minValue, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (out < roundLimit * v) out += divisor;
  return out;
}

/**
 * Round half to even, as Python's `round`, NumPy's and torch's: 2.5 -> 2, 3.5 -> 4.
 * (JavaScript's Math.round sends halves up, which changes some RegNet widths.)
 *
 * @example
 *   roundHalfEven(2.5); // 2
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
