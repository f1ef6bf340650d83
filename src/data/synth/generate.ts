/**
 * Writes the synthetic fine-grained dataset: one folder per class (what `imageFolder`
 * reads), `labels.csv` (path,label, what `csvDataset` reads) and `synth.json` (the
 * parameters and each class's traits). Images are rendered from SVG by sharp (librsvg),
 * several at a time. Same options, same seed: the same files.
 *
 * @example
 *   await generateSynthDataset({ out: 'data/synth', classes: 10, perClass: 60, size: 128, seed: 0 });
 *   const ds = imageFolder('data/synth');
 */
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { join } from 'node:path';
import { sharp } from '../decode/sharp.js';
import { Rng } from '../random.js';
import { renderSample, type RenderOptions } from './render.js';
import { classSignatures } from './traits.js';

/** Options of `generateSynthDataset`: where, how many classes and images, and how they look. */
export interface SynthOptions extends RenderOptions {
  /** The folder to write to (created if missing); existing files of the same names are overwritten. */
  out: string;
  /** How many classes (each a different set of mark shapes). */
  classes: number;
  /** Images per class. */
  perClass: number;
  /** Image side in pixels (default 128). */
  size?: number;
  /** Seed of the class traits and of every image (default 0): the same options and seed write the same files. */
  seed?: number;
  /** Marks per class (default 3). */
  traits?: number;
  /** Whether a class may show a shape twice (default true; see classSignatures). */
  repeats?: boolean;
  /** Image file format (default 'png'; 'jpeg' at quality 92 for realistic compression artefacts and smaller files). */
  format?: 'png' | 'jpeg';
  /** Images rendered at once (default 4). */
  concurrency?: number;
  /** Called after each image is written, with the images done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What `generateSynthDataset` wrote. */
export interface SynthSummary {
  /** The folder written. */
  out: string;
  /** The class names (folder names), `class_00`, `class_01`, ... */
  classes: string[];
  /** Each class's mark shapes, in class order: what tells the classes apart. */
  traits: string[][];
  /** Images written. */
  images: number;
  /** Wall-clock seconds the rendering took. */
  seconds: number;
}

/**
 * Renders and writes the dataset; resolves with a summary.
 *
 * @example
 *   await generateSynthDataset({ out: 'data/synth', classes: 10, perClass: 60 });
 */
export async function generateSynthDataset(options: SynthOptions): Promise<SynthSummary> {
  const { out, classes: numClasses, perClass } = options;
  const size = options.size ?? 128;
  const seed = options.seed ?? 0;
  const format = options.format ?? 'png';
  if (!Number.isInteger(perClass) || perClass < 1) throw new RangeError(`synth: perClass must be a positive integer, got ${perClass}`);
  if (!Number.isInteger(size) || size < 16) throw new RangeError(`synth: size must be an integer >= 16, got ${size}`);
  const signatures = classSignatures(numClasses, options.traits ?? 3, seed, { repeats: options.repeats });
  const width = String(numClasses - 1).length;
  const names = signatures.map((_, c) => `class_${String(c).padStart(Math.max(2, width), '0')}`);
  const jobs: { c: number; i: number; rel: string }[] = [];
  names.forEach((name, c) => {
    mkdirSync(join(out, name), { recursive: true });
    for (let i = 0; i < perClass; i++) jobs.push({ c, i, rel: `${name}/${name}_${String(i).padStart(4, '0')}.${format === 'png' ? 'png' : 'jpg'}` });
  });
  const started = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { c, i, rel } = jobs[next++]!;
      const svg = renderSample(signatures[c]!, size, Rng.derive(seed, 'synth', c, i), options);
      const img = sharp(Buffer.from(svg)).removeAlpha();
      await (format === 'png' ? img.png({ compressionLevel: 6 }) : img.jpeg({ quality: 92 })).toFile(join(out, rel));
      options.onProgress?.(++done, jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  writeFileAtomic(join(out, 'labels.csv'), 'path,label\n' + jobs.map((j) => `${j.rel},${names[j.c]}`).join('\n') + '\n');
  const meta = {
    generator: 'finegrain synth',
    size,
    seed,
    perClass,
    format,
    traits: Object.fromEntries(names.map((n, c) => [n, signatures[c]])),
    render: { markSize: options.markSize ?? 0.045, scatter: options.scatter ?? 0.5 },
  };
  writeFileAtomic(join(out, 'synth.json'), JSON.stringify(meta, null, 2) + '\n');
  return { out, classes: names, traits: signatures, images: jobs.length, seconds: (performance.now() - started) / 1000 };
}
