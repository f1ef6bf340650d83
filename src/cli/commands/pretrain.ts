/**
 * `finegrain pretrain --method mae --data DIR [--model vit_…] [...]`: MAE pretraining on
 * unlabelled photos into a run folder; `finegrain pretrain --resume RUN` continues one. Every
 * option is a key of the MAE configuration in kebab case (`--mask-ratio` is `maskRatio`).
 *
 * @example
 *   finegrain pretrain --method mae --data photos/ --model vit_tiny_patch16_224 --image-size 128 --epochs 100
 */
import { MaeConfigSchema } from '../../pretrain/mae/config.js';
import { pretrain } from '../../pretrain/mae/pretrain.js';
import { configFromFlags, configHelp, readConfigFile } from '../../train/config.js';
import { useAllCores } from '../../runtime/settings.js';
import { usageError } from '../shared-flags.js';

const METHODS = ['mae'];

const HELP = `usage: finegrain pretrain --method mae --data PATH [--config FILE.yaml|json] [options]
       finegrain pretrain --resume RUN_DIR

Self-supervised pretraining on photos without labels: a masked autoencoder (He et al., CVPR 2022)
learns to fill in the 75 % of each photo's patches it does not see. The run folder holds the loss
curve, a picture of reconstructions per epoch and encoder.safetensors, which fine-tuning starts
from: finegrain train --data LABELLED --pretrained RUN_DIR. Defaults are the paper's.

  --method mae                the method (only mae so far)
  --resume RUN_DIR            continue a stopped run from its last checkpoint
  --config FILE               options from a JSON or YAML file (flags win)
${configHelp(MaeConfigSchema)}

examples:
  finegrain pretrain --method mae --data photos/ --model vit_tiny_patch16_224 --image-size 128 --epochs 100
  finegrain pretrain --resume runs/mae/mae-2026-12-07_20-00-00
  finegrain train --data birds/ --pretrained runs/mae/mae-2026-12-07_20-00-00`;

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  useAllCores();
  const rest: string[] = [];
  let method: string | undefined;
  let resume: string | undefined;
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const take = () => {
      const v = argv[++i];
      if (v === undefined) throw usageError(`${a} needs a value`);
      return v;
    };
    if (a === '--method') method = take();
    else if (a === '--resume') resume = take();
    else if (a === '--config') configFile = take();
    else rest.push(a);
  }
  if (resume) {
    if (rest.length || configFile) throw usageError('--resume continues a run with its own config.json: give no other options');
    console.log(JSON.stringify(await pretrain(undefined, { resume }), null, 2));
    return;
  }
  if (!method) throw usageError(`--method is required (${METHODS.join(', ')})`);
  if (!METHODS.includes(method)) throw usageError(`--method ${method}: finegrain pretrains with ${METHODS.join(', ')}`);
  const config = { ...(configFile ? readConfigFile(configFile) : {}), ...configFromFlags(rest, MaeConfigSchema) };
  if (!config.data) throw usageError('--data PATH is required (a folder of photos)');
  console.log(JSON.stringify(await pretrain(config as { data: string }), null, 2));
}
