/** `finegrain synth --out DIR --classes N --per-class M --size S --seed K`: the synthetic fine-grained dataset. */
import { synthCommand } from '../../data/synth/cli.js';

export async function run(argv: string[]): Promise<void> {
  await synthCommand(argv);
}
