/**
 * A small labelled image folder for training tests, written with sharp: each class is a
 * background colour family with a randomly placed square of another colour, noise on top —
 * easy enough that a few epochs beat chance clearly, varied enough to need learning.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/data/random.js';

const COLOURS: [number, number, number][] = [
  [200, 40, 40],
  [40, 180, 60],
  [50, 70, 210],
  [200, 180, 40],
];

export async function writeTinyDataset(dir: string, options: { classes?: number; perClass?: number; size?: number; seed?: number } = {}): Promise<string[]> {
  const { classes = 3, perClass = 16, size = 40, seed = 0 } = options;
  const rng = new Rng(seed, 'tiny-dataset');
  const names = Array.from({ length: classes }, (_, c) => `class_${c}`);
  for (let c = 0; c < classes; c++) {
    mkdirSync(join(dir, names[c]!), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(size * size * 3);
      const [r, g, b] = COLOURS[c % COLOURS.length]!;
      const sq = Math.floor(size / 3);
      const ox = rng.int(size - sq);
      const oy = rng.int(size - sq);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const inSquare = x >= ox && x < ox + sq && y >= oy && y < oy + sq;
          const o = (y * size + x) * 3;
          const noise = () => rng.int(60) - 30;
          px[o] = Math.max(0, Math.min(255, (inSquare ? 255 - r : r) + noise()));
          px[o + 1] = Math.max(0, Math.min(255, (inSquare ? 255 - g : g) + noise()));
          px[o + 2] = Math.max(0, Math.min(255, (inSquare ? 255 - b : b) + noise()));
        }
      }
      await sharp(px, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(join(dir, names[c]!, `${i}.png`));
    }
  }
  return names;
}
