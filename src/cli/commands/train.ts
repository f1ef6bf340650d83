/**
 * `finegrain train --data DIR [--config FILE] [--model NAME] [...]` trains with the
 * competition recipe into a run folder; `finegrain train --resume RUN` continues a run.
 * Every option is a config key in kebab case (`--image-size` is `imageSize`); flags override
 * the config file.
 */
import { configFromFlags, configHelp, readConfigFile, type TrainConfigInput } from '../../train/config.js';
import { train } from '../../train/trainer.js';
import { UsageError } from '../../usage-error.js';
import { launchWorkers } from '../launch-workers.js';

/** Data-parallel workers other than rank 0 print nothing on stdout: rank 0 prints the result. */
function printResult(result: unknown): void {
  if ((process.env.RANK ?? '0') === '0') console.log(JSON.stringify(result, null, 2));
}

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: finegrain train --data PATH [--config FILE.yaml|json] [options]
       finegrain train --resume RUN_DIR
       finegrain train --nproc-per-node N [--master-port P] ...   (N data-parallel workers on this machine)

Trains with the competition recipe into a run folder (config, metrics, curves, checkpoints).
Every option is also a config file key (camelCase: --image-size is imageSize); flags override the file.

options:
${configHelp()}

With --pretrained and no recipe flags a run gets the fine-tuning recipe; with --budget it also
plans its epochs and resolutions to end inside the time given (plan.json says what and why).
Flags given always win over the plan.

examples:
  finegrain train --data cars/ --model mobilenet_v2 --pretrained imagenet --budget 30m
  finegrain train --data cars/ --model mobilenet_v2 --pretrained imagenet --budget 1h --preset best
  finegrain train --data birds/ --model mobilenet_v2 --pretrained imagenet --freeze-until features.4 --epochs 6
  finegrain train --data birds/ --model regnet_y_16gf --pretrained torchvision:regnet_y_16gf.IMAGENET1K_SWAG_E2E_V1 \\
      --image-size 512 --final-image-size 960 --final-epochs 2 --crop attention --ema 0.999
  finegrain train --data cars/ --model resnet50 --pretrained checkpoint.pth.tar#state_dict_ema
  finegrain train --resume runs/run-2026-11-26_15-00-00`);
    return;
  }
  const rest = [...argv];
  const take = (flag: string): string | undefined => {
    const i = rest.indexOf(flag);
    if (i < 0) return undefined;
    const v = rest[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    rest.splice(i, 2);
    return v;
  };
  const nproc = take('--nproc-per-node');
  const masterPort = take('--master-port');
  if (nproc !== undefined && !process.env.WORLD_SIZE) {
    // The launcher: the same command, without the launch flags, as N workers (launch-workers.ts).
    const script = process.argv[1]!;
    const status = await launchWorkers(Number(nproc), [script, 'train', ...rest], { masterPort: masterPort ? Number(masterPort) : undefined });
    if (status !== 0) process.exitCode = status;
    return;
  }
  const resume = take('--resume');
  const configFile = take('--config');
  if (resume) {
    if (rest.length) throw new UsageError('--resume continues the run with its saved configuration; other options are not allowed');
    printResult(await train({} as TrainConfigInput, { resume }));
    return;
  }
  const config = { ...(configFile ? readConfigFile(configFile) : {}), ...configFromFlags(rest) };
  printResult(await train(config as TrainConfigInput));
}
