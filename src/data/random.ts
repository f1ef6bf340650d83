/**
 * Seeded randomness for the data pipeline. Every random choice (shuffles, crops, flips,
 * augmentations, mixing) draws from an `Rng` whose seed is derived from the run seed and
 * *what* it is for: `Rng.derive(seed, 'sample', epoch, index)`. A sample's augmentation
 * therefore depends only on (seed, epoch, index), never on which image finished decoding
 * first, how many images are in flight or how batches were prefetched.
 *
 * The generator is sfc32 (Small Fast Counting, 128-bit state): fast in JS's 32-bit
 * integer arithmetic and passes PractRand; seeds are spread with the murmur3 finaliser.
 *
 * @example
 *   const rng = Rng.derive(42, 'sample', 3, 17);   // epoch 3, sample 17
 *   rng.next();                                     // uniform in [0, 1)
 *   rng.int(10);                                    // 0..9
 *   rng.shuffle([1, 2, 3]);                         // in place
 */

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds numbers (any safe integer or float) and strings into one 32-bit hash. */
function hashParts(parts: readonly (number | string)[]): number {
  let h = 0x9e3779b9;
  const mix = (v: number) => {
    h = fmix32((h ^ v) + 0x6a09e667);
  };
  for (const p of parts) {
    if (typeof p === 'string') {
      mix(0x73747221 ^ p.length);
      for (let i = 0; i < p.length; i++) mix(p.charCodeAt(i));
    } else if (Number.isInteger(p)) {
      // Split safe integers into two 32-bit words so seeds above 2^32 stay distinct.
      mix(p >>> 0);
      mix(Math.floor(p / 0x100000000) >>> 0);
    } else {
      const f = new Float64Array([p]);
      const w = new Uint32Array(f.buffer);
      mix(w[0]!);
      mix(w[1]!);
    }
  }
  return h;
}

/**
 * A seeded sfc32 generator with the draws the pipeline needs.
 *
 * @example
 *   const rng = Rng.derive(seed, 'sample', epoch, index);
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator seeded from one or more values (numbers or strings). */
  constructor(...seed: (number | string)[]) {
    const h = hashParts(seed);
    this.a = fmix32(h ^ 0x243f6a88);
    this.b = fmix32(h ^ 0x85a308d3);
    this.c = fmix32(h ^ 0x13198a2e);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.uint32(); // warm up away from the seed
  }

  /** The generator for one purpose of one run, e.g. `Rng.derive(seed, 'shuffle', epoch)`. */
  static derive(...parts: (number | string)[]): Rng {
    return new Rng(...parts);
  }

  /** An independent child stream; the parent advances by one draw. */
  fork(...parts: (number | string)[]): Rng {
    return new Rng(this.uint32(), ...parts);
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    if (n > 0x100000000) return Math.floor(this.next() * n);
    const limit = 0x100000000 - (0x100000000 % n);
    let x: number;
    do x = this.uint32();
    while (x >= limit);
    return x % n;
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang. */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`Rng.gamma: shape must be > 0, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.next() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b), as Mixup and CutMix draw their mixing ratio. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** One element, uniformly. */
  choice<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}
