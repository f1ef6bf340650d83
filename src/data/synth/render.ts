/**
 * One synthetic image as SVG: a cluttered, unevenly lit background; a large textured
 * "organism" in a random pose, size and colour; and the class's small marks, placed on the
 * organism (a compact discriminative region, like a bird's head) or scattered over the
 * whole image (like sorghum panicles). Nothing but the marks' shapes depends on the class.
 *
 * @example
 *   const svg = renderSample(['dot', 'star', 'bar'], 128, new Rng(1));
 *   await sharp(Buffer.from(svg)).png().toFile('x.png');
 */
import type { Rng } from '../random.js';
import { markPath, type MarkShape } from './traits.js';

/** How the synthetic images look beside their class marks: mark size, where the marks sit, and background clutter. */
export interface RenderOptions {
  /** Mark radius as a share of the image side (default 0.045: ~6 px at 128 px). */
  markSize?: number;
  /** Probability that the marks are scattered over the image rather than on the organism. */
  scatter?: number;
  /** Background clutter shapes (default 6 to 18). */
  clutter?: readonly [number, number];
}

const hsl = (h: number, s: number, l: number) => `hsl(${h.toFixed(0)},${s.toFixed(0)}%,${l.toFixed(0)}%)`;

function clutterShape(rng: Rng, size: number): string {
  const x = rng.uniform(-0.1, 1.1) * size;
  const y = rng.uniform(-0.1, 1.1) * size;
  const r = rng.uniform(0.04, 0.25) * size;
  const fill = hsl(rng.uniform(0, 360), rng.uniform(10, 70), rng.uniform(15, 85));
  const op = rng.uniform(0.25, 0.8).toFixed(2);
  switch (rng.int(4)) {
    case 0:
      return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r.toFixed(1)}" fill="${fill}" opacity="${op}"/>`;
    case 1:
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(r * 1.6).toFixed(1)}" height="${(r * rng.uniform(0.3, 1.5)).toFixed(1)}" fill="${fill}" opacity="${op}" transform="rotate(${rng.uniform(0, 180).toFixed(0)} ${x.toFixed(1)} ${y.toFixed(1)})"/>`;
    case 2:
      return `<line x1="${x.toFixed(1)}" y1="${y.toFixed(1)}" x2="${(x + rng.uniform(-2, 2) * r).toFixed(1)}" y2="${(y + rng.uniform(-2, 2) * r).toFixed(1)}" stroke="${fill}" stroke-width="${rng.uniform(0.01, 0.04) * size}" opacity="${op}"/>`;
    default: {
      const pts = Array.from({ length: 5 }, () => `${(x + rng.uniform(-r, r)).toFixed(1)},${(y + rng.uniform(-r, r)).toFixed(1)}`);
      return `<polygon points="${pts.join(' ')}" fill="${fill}" opacity="${op}"/>`;
    }
  }
}

/**
 * The SVG of one image showing `marks`, all else drawn from `rng`.
 *
 * @example
 *   const svg = renderSample(['dot', 'star', 'bar'], 128, new Rng(1));
 */
export function renderSample(marks: readonly MarkShape[], size: number, rng: Rng, options: RenderOptions = {}): string {
  const s = size;
  const parts: string[] = [];
  const bgHue = rng.uniform(0, 360);
  const angle = rng.uniform(0, 360);
  parts.push(
    `<defs><linearGradient id="bg" gradientTransform="rotate(${angle.toFixed(0)} .5 .5)"><stop offset="0" stop-color="${hsl(bgHue, rng.uniform(10, 60), rng.uniform(20, 80))}"/><stop offset="1" stop-color="${hsl(bgHue + rng.uniform(-90, 90), rng.uniform(10, 60), rng.uniform(20, 80))}"/></linearGradient>` +
      `<linearGradient id="light" gradientTransform="rotate(${rng.uniform(0, 360).toFixed(0)} .5 .5)"><stop offset="0" stop-color="#fff"/><stop offset="1" stop-color="#000"/></linearGradient></defs>`,
  );
  parts.push(`<rect width="${s}" height="${s}" fill="url(#bg)"/>`);
  const [c0, c1] = options.clutter ?? [6, 18];
  const nClutter = c0 + rng.int(c1 - c0 + 1);
  for (let i = 0; i < nClutter; i++) parts.push(clutterShape(rng, s));

  // The organism: a textured ellipse in a random pose; scale varies 2x within a class.
  const cx = rng.uniform(0.3, 0.7) * s;
  const cy = rng.uniform(0.3, 0.7) * s;
  const rx = rng.uniform(0.2, 0.4) * s;
  const ry = rx * rng.uniform(0.45, 0.8);
  const rot = rng.uniform(0, 180);
  const hue = rng.uniform(0, 360);
  const body = hsl(hue, rng.uniform(20, 80), rng.uniform(30, 70));
  const stripe = hsl(hue + rng.uniform(-40, 40), rng.uniform(20, 80), rng.uniform(20, 80));
  const stripes = Array.from({ length: 4 + rng.int(5) }, (_, k) => {
    const x = -rx + ((k + 0.5) * 2 * rx) / 8;
    return `<line x1="${x.toFixed(1)}" y1="${(-ry).toFixed(1)}" x2="${(x + rng.uniform(-0.3, 0.3) * rx).toFixed(1)}" y2="${ry.toFixed(1)}" stroke="${stripe}" stroke-width="${(rng.uniform(0.02, 0.06) * s).toFixed(1)}" opacity="0.6"/>`;
  }).join('');
  parts.push(
    `<g transform="translate(${cx.toFixed(1)} ${cy.toFixed(1)}) rotate(${rot.toFixed(0)})"><clipPath id="b"><ellipse rx="${rx.toFixed(1)}" ry="${ry.toFixed(1)}"/></clipPath>` +
      `<ellipse rx="${rx.toFixed(1)}" ry="${ry.toFixed(1)}" fill="${body}"/><g clip-path="url(#b)">${stripes}</g></g>`,
  );

  // The marks: shapes from the class, everything else random.
  const r = (options.markSize ?? 0.045) * s * rng.uniform(0.8, 1.25);
  const scattered = rng.next() < (options.scatter ?? 0.5);
  const placed: [number, number][] = [];
  const cos = Math.cos((rot * Math.PI) / 180);
  const sin = Math.sin((rot * Math.PI) / 180);
  for (const shape of rng.shuffle([...marks])) {
    let x = 0;
    let y = 0;
    for (let tries = 0; tries < 50; tries++) {
      if (scattered) {
        x = rng.uniform(0.08, 0.92) * s;
        y = rng.uniform(0.08, 0.92) * s;
      } else {
        // Uniform in the ellipse, kept off its rim.
        const t = rng.uniform(0, 2 * Math.PI);
        const q = 0.75 * Math.sqrt(rng.next());
        const ex = q * rx * Math.cos(t);
        const ey = q * ry * Math.sin(t);
        x = cx + ex * cos - ey * sin;
        y = cy + ex * sin + ey * cos;
      }
      if (placed.every(([px, py]) => (px - x) ** 2 + (py - y) ** 2 > (3 * r) ** 2)) break;
    }
    placed.push([x, y]);
    const dark = rng.next() < 0.5;
    const fill = hsl(rng.uniform(0, 360), rng.uniform(40, 100), dark ? rng.uniform(5, 25) : rng.uniform(75, 95));
    const edge = dark ? '#fff' : '#000';
    parts.push(
      `<path d="${markPath(shape, r)}" fill="${fill}" fill-rule="evenodd" stroke="${edge}" stroke-width="${(r * 0.12).toFixed(2)}" transform="translate(${x.toFixed(1)} ${y.toFixed(1)}) rotate(${rng.uniform(0, 360).toFixed(0)})"/>`,
    );
  }

  // Uneven lighting over everything.
  parts.push(`<rect width="${s}" height="${s}" fill="url(#light)" opacity="${rng.uniform(0.05, 0.45).toFixed(2)}" style="mix-blend-mode:overlay"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${s}" height="${s}" viewBox="0 0 ${s} ${s}">${parts.join('')}</svg>`;
}
