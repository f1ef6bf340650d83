/**
 * A small hierarchy every hierarchy test can compute by hand: one Audi and three BMWs.
 *
 *   make    Audi                BMW
 *   model   Audi A4 Sedan       BMW X3 SUV          BMW X5 SUV
 *   series  Audi A4 Sedan 2012  BMW X3 SUV 2012     BMW X5 SUV 2007, BMW X5 SUV 2012
 *   index   0                   1                   2                3
 */
import { hierarchyFromNames } from '../../src/hierarchy/index.js';

export const FOUR = ['Audi A4 Sedan 2012', 'BMW X3 SUV 2012', 'BMW X5 SUV 2007', 'BMW X5 SUV 2012'];
export const four = () => hierarchyFromNames(FOUR, 'make-model-year');

/** A seeded generator of numbers in [0, 1) (mulberry32), for reproducible random rows. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random probability row of n classes (non-negative, summing to 1), peaked now and then. */
export function randomRow(rand: () => number, n: number): number[] {
  const power = 1 + 4 * rand();
  const raw = Array.from({ length: n }, () => rand() ** power);
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
}
