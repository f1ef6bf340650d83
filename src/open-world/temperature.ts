/**
 * Temperature scaling (Guo et al. 2017): one scalar T > 0 that minimises the negative
 * log-likelihood of softmax(logits / T) on held-out (validation) data — never on test data.
 * The NLL is convex in 1/T, so a golden-section search on log T over [0.05, 20] finds it.
 *
 * @example
 *   const T = fitTemperature(valLogits, valLabels, numClasses);
 */

/** Mean NLL of softmax(logits / T); logits row-major [N, C]. */
export function nllAtTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, temperature: number): number {
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[i * numClasses + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) sum += Math.exp(logits[i * numClasses + c]! / temperature - max);
    total += max + Math.log(sum) - logits[i * numClasses + labels[i]!]! / temperature;
  }
  return total / n;
}

/**
 * The temperature T > 0 that minimises the mean NLL of softmax(logits / T) on held-out
 * `logits` (row-major [N, numClasses]) and their `labels`. Fit it on validation data only.
 *
 * @example
 *   const T = fitTemperature(valLogits, valLabels, numClasses);
 */
export function fitTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  const n = labels.length;
  if (!n) throw new RangeError('fitTemperature: no validation rows');
  if (logits.length !== n * numClasses) throw new RangeError(`fitTemperature: ${logits.length} logits for ${n} rows of ${numClasses} classes`);
  for (let i = 0; i < n; i++)
    if (!(labels[i]! >= 0 && labels[i]! < numClasses)) throw new RangeError(`fitTemperature: label ${labels[i]} outside [0, ${numClasses})`);
  const f = (logT: number) => nllAtTemperature(logits, labels, numClasses, Math.exp(logT));
  let a = Math.log(0.05);
  let b = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 60 && b - a > 1e-6; it++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}
