/**
 * `finegrain classes list|remove --checkpoint C [NAME]`: a checkpoint's classes, trained and
 * enrolled (`finegrain enroll`), and the removal of an enrolled one.
 *
 * @example
 *   finegrain classes list --checkpoint runs/cars/checkpoints/best.safetensors
 *   finegrain classes remove --checkpoint runs/cars/checkpoints/best.safetensors "Audi Q7 SUV 2012"
 */
import { parseArgs } from 'node:util';
import { classifier } from '../../pipeline/classifier.js';
import { usageError } from '../shared-flags.js';

const HELP = `usage: finegrain classes list --checkpoint CKPT [--json]
       finegrain classes remove --checkpoint CKPT NAME

  list      every class in output order: the trained ones, then those enrolled from photos
            (with their photo count and date)
  remove    removes an enrolled class (trained classes stay until the model is retrained)

  --checkpoint FILE   the finegrain checkpoint (required)
  --json              list as JSON

example:
  finegrain classes list --checkpoint runs/cars/checkpoints/best.safetensors
  finegrain classes remove --checkpoint runs/cars/checkpoints/best.safetensors "Audi Q7 SUV 2012"`;

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { checkpoint: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const [action, ...names] = positionals;
  if (action !== 'list' && action !== 'remove') throw usageError(`say list or remove (got ${action === undefined ? 'nothing' : `'${action}'`})`);
  if (!values.checkpoint) throw usageError('--checkpoint FILE is required');
  using clf = await classifier(values.checkpoint, { precision: 'float32' });
  if (action === 'remove') {
    if (names.length !== 1) throw usageError('remove takes one class name');
    await clf.removeClass(names[0]!);
    console.log(`removed '${names[0]}'; ${clf.classes.length} classes now (${clf.enrolledClasses().length} enrolled)`);
    return;
  }
  const enrolled = clf.enrolledClasses();
  const trained = clf.classes.slice(0, clf.classes.length - enrolled.length);
  if (values.json) {
    console.log(JSON.stringify({ trained, enrolled }, null, 2));
    return;
  }
  for (const c of trained) console.log(`trained   ${c}`);
  for (const c of enrolled)
    console.log(`enrolled  ${c.name}  (${c.photos} photo${c.photos === 1 ? '' : 's'}, ${c.enrolledAt}${c.parents ? `, under ${c.parents.join(' / ')}` : ''})`);
}
