/**
 * `finegrain synth`: writes the synthetic fine-grained dataset.
 *
 *   finegrain synth --out DIR --classes N --per-class M [--size S] [--seed K]
 *                   [--traits T] [--no-repeats] [--format png|jpeg] [--mark-size F] [--scatter P]
 *
 * @example
 *   await synthCommand(['--out', 'data/synth', '--classes', '10', '--per-class', '50']);
 */
import { parseArgs } from 'node:util';
import { generateSynthDataset } from './generate.js';
import { UsageError } from '../../usage-error.js';

const USAGE = `usage: finegrain synth --out DIR --classes N --per-class M [--size S] [--seed K]
                      [--traits T] [--no-repeats] [--format png|jpeg] [--mark-size F] [--scatter P]

Writes a synthetic fine-grained dataset: one folder per class, labels.csv, synth.json.
Classes differ only in the shapes of T small marks (default 3), placed on a textured
object or scattered over a cluttered, unevenly lit background.

  --out DIR          output folder (created)
  --classes N        number of classes (required)
  --per-class M      images per class (required)
  --size S           image side in pixels (default 128)
  --seed K           random seed; the same seed writes the same images (default 0)
  --traits T         marks per image that tell classes apart (default 3)
  --no-repeats       no class shows a shape twice (classes differ in which marks, never
                     in how many; what finegrain demo uses)
  --format F         png or jpeg (default png)
  --mark-size F      mark radius as a fraction of the image side (default 0.045)
  --scatter P        probability that an image's marks are scattered over the background
                     rather than on the object (default 0.5)

example:
  finegrain synth --out data/synth --classes 10 --per-class 50 --size 160 --scatter 0.5`;

function int(v: string | undefined, name: string, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`synth: --${name} is required\n${USAGE}`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`synth: --${name} must be an integer, got "${v}"`);
  return n;
}

/**
 * Runs `finegrain synth` with its command-line arguments (without the subcommand).
 *
 * @example
 *   await synthCommand(['--out', 'data/synth', '--classes', '10', '--per-class', '50']);
 */
export async function synthCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      classes: { type: 'string' },
      'per-class': { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      traits: { type: 'string' },
      'no-repeats': { type: 'boolean' },
      format: { type: 'string' },
      'mark-size': { type: 'string' },
      scatter: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.out) throw new UsageError(`synth: --out is required\n${USAGE}`);
  const format = values.format ?? 'png';
  if (format !== 'png' && format !== 'jpeg') throw new UsageError(`synth: --format must be png or jpeg, got "${format}"`);
  const classes = int(values.classes, 'classes');
  const perClass = int(values['per-class'], 'per-class');
  let last = 0;
  const summary = await generateSynthDataset({
    out: values.out,
    classes,
    perClass,
    size: int(values.size, 'size', 128),
    seed: int(values.seed, 'seed', 0),
    traits: int(values.traits, 'traits', 3),
    repeats: !values['no-repeats'],
    format,
    markSize: values['mark-size'] === undefined ? undefined : Number(values['mark-size']),
    scatter: values.scatter === undefined ? undefined : Number(values.scatter),
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / total);
      if (process.stderr.isTTY && pct !== last) process.stderr.write(`\rsynth: ${done}/${total} images`);
      last = pct;
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(`wrote ${summary.images} images of ${summary.classes.length} classes to ${summary.out} in ${summary.seconds.toFixed(1)} s`);
}
