/**
 * What the suggest tests read: a calibrated copy of the tiny fixture's checkpoint (so the
 * shared fixture never gets sidecars) and a folder of unlabelled photos that holds one of each
 * case — photo-like images the quality gate passes (256 px, sharp, well exposed, no grid), an
 * exact copy and a re-encoded near-copy of one of them, a dark and a blurred photo, a text
 * file named .jpg and a truncated JPEG.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { calibrate } from '../../src/open-world/calibrate-checkpoint.js';
import { tinyFixture, type Fixture } from '../serve/serve-support.js';
import { prng } from '../support/prng.js';

/** The tiny fixture, the calibrated copy and the folder's files by case. */
export interface SuggestFixture {
  fx: Fixture;
  ckpt: string;
  inbox: string;
  good: string[];
  copy: string;
  nearCopy: string;
  dark: string;
  blurry: string;
  corrupt: string;
  truncated: string;
}

const TINTS: [number, number, number][] = [
  [200, 60, 60],
  [60, 170, 80],
  [70, 90, 210],
];

/** Smooth shading tinted towards a class colour, hard-edged discs and a little grain (as test/open-world/quality.test.ts's photo). */
function photo(seed: number, tint: [number, number, number], side = 256): Buffer {
  const rng = prng(seed);
  const discs = Array.from({ length: 14 }, (_, i) => ({
    x: rng.next() * side,
    y: rng.next() * side,
    r: 8 + rng.next() * 40,
    c:
      i === 0
        ? [4, 3, 2]
        : i === 1
          ? [250, 248, 240]
          : i % 2
            ? [rng.next() * 255, rng.next() * 255, rng.next() * 255]
            : tint.map((t) => t * (0.5 + rng.next())),
  }));
  const data = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      let c = [60 + (120 * y) / side, 90 + 40 * Math.sin(x / 23), 110 + 50 * Math.cos((x + y) / 31)].map((v, k) => v + 0.4 * (tint[k]! - 128));
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2) c = d.c;
      const grain = (rng.next() - 0.5) * 6;
      c.forEach((v, k) => (data[(y * side + x) * 3 + k] = Math.min(255, Math.max(0, Math.round(v + grain)))));
    }
  return data;
}

const png = (data: Buffer, side = 256) => sharp(data, { raw: { width: side, height: side, channels: 3 } }).png();

/** Writes the calibrated copy and the folder under `dir` (a fresh temp folder of the caller's). */
export async function suggestFixture(dir: string): Promise<SuggestFixture> {
  const fx = await tinyFixture();
  mkdirSync(join(dir, 'ckpt'));
  const ckpt = join(dir, 'ckpt', 'best.safetensors');
  copyFileSync(fx.checkpoint, ckpt);
  await calibrate(ckpt, { data: join(fx.dir, 'train'), precision: 'float32', head: 'trained' });
  const inbox = join(dir, 'inbox');
  mkdirSync(join(inbox, 'sub'), { recursive: true });
  const good: string[] = [];
  for (let i = 0; i < 9; i++) {
    // one photo in a sub-folder: the folder is searched recursively
    const path = join(inbox, i === 8 ? 'sub' : '', `photo-${i}.png`);
    await png(photo(10 + i, TINTS[i % 3]!)).toFile(path);
    good.push(path);
  }
  const copy = join(inbox, 'photo-0-copy.png');
  copyFileSync(good[0]!, copy);
  // the same photo saved again at another size (re-encoded, resampled)
  const nearCopy = join(inbox, 'photo-1-resaved.png');
  await sharp(good[1]!).resize(240, 240).png().toFile(nearCopy);
  const dark = join(inbox, 'dark.png');
  await png(Buffer.from(photo(40, TINTS[0]!).map((v) => Math.round(v * 0.1)))).toFile(dark);
  const blurry = join(inbox, 'blurry.png');
  await png(photo(41, TINTS[1]!)).blur(6).toFile(blurry);
  const corrupt = join(inbox, 'corrupt.jpg');
  writeFileSync(corrupt, 'this is text, not a JPEG');
  const truncated = join(inbox, 'truncated.jpg');
  const jpeg = await png(photo(42, TINTS[2]!)).jpeg().toBuffer();
  writeFileSync(truncated, jpeg.subarray(0, jpeg.length >> 1));
  return { fx, ckpt, inbox, good, copy, nearCopy, dark, blurry, corrupt, truncated };
}
