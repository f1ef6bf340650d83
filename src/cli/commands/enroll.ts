/**
 * `finegrain enroll --checkpoint C --class NAME PHOTO|FOLDER…`: adds a class to a trained
 * checkpoint from a few photos, with no training (the library's `Classifier.enroll`), stored
 * beside the checkpoint for `serve`, `eval` and `predict`. `finegrain classes` lists and
 * removes enrolled classes.
 *
 * @example
 *   finegrain enroll --checkpoint runs/cars/checkpoints/best.safetensors --class "Audi Q7 SUV 2012" q7/
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isImageName } from '../../data/datasets/list-images.js';
import { MAX_CORRECTION, MAX_ENROLL_PHOTOS } from '../../enrollment/limits.js';
import { classifier } from '../../pipeline/classifier.js';
import { useAllCores } from '../../runtime/settings.js';
import { numberFlag, usageError } from '../shared-flags.js';

const HELP = `usage: finegrain enroll --checkpoint CKPT --class NAME [--parents A/B] [--correction S] PHOTO|FOLDER…

Adds a class to a trained checkpoint from a few photos (1–${MAX_ENROLL_PHOTOS}) with no training: each
photo and its mirror image are embedded, and from then on every class — trained and enrolled —
is scored by one closed-form head (LDA over the embeddings: class means and the calibration's
shared covariance), so the new class competes with the trained ones in one softmax; the unknown
detector learns its photos too. Stored beside the checkpoint (<checkpoint>.enrolled.safetensors), so
serve, eval, predict and classifier() answer with it. Needs the checkpoint's calibration
(finegrain calibrate). docs/enrollment.md says how it works and how well.

  --checkpoint FILE   the finegrain checkpoint (required)
  --class NAME        the new class's name (required; not a class already)
  --parents A/B       its ancestors in the class hierarchy, top-down, '/'-separated (default:
                      read off the name when the hierarchy is make → model → series)
  --correction S      the share of the few-shot correction, in [0, ${MAX_CORRECTION}] (default 1; 0.5 for a
                      calibration from before the mean scale): lower takes fewer photos from
                      look-alike trained classes and recognises fewer of the new class's own
                      (docs/enrollment.md has the measured trade-off)
  PHOTO|FOLDER        photos of the class, or folders of them

example:
  finegrain enroll --checkpoint runs/cars/checkpoints/best.safetensors --class "Audi Q7 SUV 2012" q7/
  finegrain classes list --checkpoint runs/cars/checkpoints/best.safetensors`;

/** The photos named: files as given, folders as their image files (sorted). */
export function photoFiles(args: readonly string[]): string[] {
  return args.flatMap((a) => {
    let st;
    try {
      st = statSync(a);
    } catch {
      throw usageError(`photo not found: ${a}`);
    }
    if (!st.isDirectory()) return [a];
    return readdirSync(a)
      .filter((f) => isImageName(f))
      .sort()
      .map((f) => join(a, f));
  });
}

export async function run(argv: string[]): Promise<void> {
  useAllCores();
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      class: { type: 'string' },
      parents: { type: 'string' },
      correction: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (!values.checkpoint) throw usageError('--checkpoint FILE is required');
  if (values.class === undefined) throw usageError('--class NAME is required');
  const photos = photoFiles(positionals);
  const parents = values.parents?.split('/').map((s) => s.trim());
  const start = performance.now();
  using clf = await classifier(values.checkpoint);
  const correction = numberFlag(values.correction, '--correction', (n) => n >= 0 && n <= MAX_CORRECTION, `a number in [0, ${MAX_CORRECTION}]`);
  const c = await clf.enroll(values.class, photos, { parents, correction });
  console.log(
    `enrolled '${c.name}' from ${c.photos} photo(s) in ${((performance.now() - start) / 1000).toFixed(1)} s; ${clf.classes.length} classes now (${clf.enrolledClasses().length} enrolled)`,
  );
}
