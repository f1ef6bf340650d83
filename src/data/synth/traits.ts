/**
 * The class-defining traits of the synthetic fine-grained dataset: small marks of a few
 * shapes. A class is a multiset of `traits` mark shapes (default 3 of 8), so most pairs of
 * classes share one or two marks and differ in one small detail, as cultivars or species
 * do. Colour, size, rotation and position of marks vary freely within a class; only the
 * shapes carry the label.
 *
 * @example
 *   const sigs = classSignatures(10, 3, 42);   // [['dot', 'ring', 'star'], ...]
 *   markPath('chevron', 6);                     // SVG path data centred on 0,0
 */
import { Rng } from '../random.js';

/** The mark shapes a class's traits are drawn from. */
export const MARK_SHAPES = ['dot', 'ring', 'cross', 'triangle', 'square', 'bar', 'chevron', 'star'] as const;
/** One of `MARK_SHAPES`. */
export type MarkShape = (typeof MARK_SHAPES)[number];

/**
 * SVG path data of a mark of radius r centred on the origin (drawn filled; rings hollow).
 *
 * @example
 *   markPath('star', 6); // SVG path data
 */
export function markPath(shape: MarkShape, r: number): string {
  const f = (v: number) => v.toFixed(2);
  switch (shape) {
    case 'dot':
      return `M ${f(-r)} 0 A ${f(r)} ${f(r)} 0 1 0 ${f(r)} 0 A ${f(r)} ${f(r)} 0 1 0 ${f(-r)} 0 Z`;
    case 'ring': {
      const q = r * 0.55;
      return `M ${f(-r)} 0 A ${f(r)} ${f(r)} 0 1 0 ${f(r)} 0 A ${f(r)} ${f(r)} 0 1 0 ${f(-r)} 0 Z M ${f(-q)} 0 A ${f(q)} ${f(q)} 0 1 1 ${f(q)} 0 A ${f(q)} ${f(q)} 0 1 1 ${f(-q)} 0 Z`;
    }
    case 'cross': {
      const t = r * 0.3;
      return `M ${f(-t)} ${f(-r)} H ${f(t)} V ${f(-t)} H ${f(r)} V ${f(t)} H ${f(t)} V ${f(r)} H ${f(-t)} V ${f(t)} H ${f(-r)} V ${f(-t)} H ${f(-t)} Z`;
    }
    case 'triangle':
      return `M 0 ${f(-r)} L ${f(r * 0.95)} ${f(r * 0.7)} L ${f(-r * 0.95)} ${f(r * 0.7)} Z`;
    case 'square': {
      const s = r * 0.8;
      return `M ${f(-s)} ${f(-s)} H ${f(s)} V ${f(s)} H ${f(-s)} Z`;
    }
    case 'bar':
      return `M ${f(-r)} ${f(-r * 0.28)} H ${f(r)} V ${f(r * 0.28)} H ${f(-r)} Z`;
    case 'chevron':
      return `M ${f(-r)} ${f(-r * 0.6)} L 0 ${f(r * 0.3)} L ${f(r)} ${f(-r * 0.6)} L ${f(r)} ${f(0)} L 0 ${f(r * 0.9)} L ${f(-r)} 0 Z`;
    case 'star': {
      const pts: string[] = [];
      for (let k = 0; k < 10; k++) {
        const a = (Math.PI * k) / 5 - Math.PI / 2;
        const rr = k % 2 ? r * 0.42 : r;
        pts.push(`${f(rr * Math.cos(a))} ${f(rr * Math.sin(a))}`);
      }
      return `M ${pts.join(' L ')} Z`;
    }
  }
}

/** All multisets of `k` shapes from the pool, in a fixed order. */
function multisets(k: number, from = 0): MarkShape[][] {
  if (k === 0) return [[]];
  const out: MarkShape[][] = [];
  for (let i = from; i < MARK_SHAPES.length; i++) for (const rest of multisets(k - 1, i)) out.push([MARK_SHAPES[i]!, ...rest]);
  return out;
}

/**
 * `numClasses` distinct trait multisets, chosen by the seed. With 3 traits of 8 shapes
 * there are 120 classes to draw from; more traits allow more classes. `repeats: false`
 * draws sets instead (56 with 3 of 8): no class shows a shape twice, so telling classes
 * apart means seeing which marks are there, never counting them — a CNN learns that from
 * far fewer images (the demo's choice).
 *
 * @example
 *   classSignatures(10, 3, 0); // [['dot', 'ring', 'star'], ...]
 *   classSignatures(6, 3, 0, { repeats: false });
 */
export function classSignatures(numClasses: number, traits = 3, seed = 0, options: { repeats?: boolean } = {}): MarkShape[][] {
  const repeats = options.repeats ?? true;
  const all = multisets(traits).filter((m) => repeats || new Set(m).size === m.length);
  if (numClasses > all.length)
    throw new RangeError(
      `synth: ${traits} traits of ${MARK_SHAPES.length} shapes make ${all.length} classes at most${repeats ? '' : ' without repeated shapes'}, asked for ${numClasses}; use more traits`,
    );
  if (numClasses < 2) throw new RangeError(`synth: need at least 2 classes, got ${numClasses}`);
  const rng = repeats ? new Rng(seed, 'synth-classes', traits) : new Rng(seed, 'synth-classes', traits, 'sets');
  return rng.shuffle(all).slice(0, numClasses);
}
