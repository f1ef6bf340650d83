/**
 * `finegrain train --data DIR [--config FILE] [--model NAME] [...]` trains with the
 * competition recipe into a run folder; `finegrain train --resume RUN` continues a run.
 * Every option is a config key in kebab case (`--image-size` is `imageSize`); flags override
 * the config file.
 */
import { configFromFlags, configHelp, readConfigFile, type TrainConfigInput } from '../../train/config.js';
import { train } from '../../train/trainer.js';

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: finegrain train --data PATH [--config FILE.yaml|json] [options]
       finegrain train --resume RUN_DIR

options (config file keys in camelCase):
${configHelp()}`);
    return;
  }
  const rest = [...argv];
  const take = (flag: string): string | undefined => {
    const i = rest.indexOf(flag);
    if (i < 0) return undefined;
    const v = rest[i + 1];
    if (v === undefined) throw Object.assign(new Error(`${flag} needs a value`), { name: 'UsageError' });
    rest.splice(i, 2);
    return v;
  };
  const resume = take('--resume');
  const configFile = take('--config');
  if (resume) {
    if (rest.length)
      throw Object.assign(new Error('--resume continues the run with its saved configuration; other options are not allowed'), { name: 'UsageError' });
    const result = await train({} as TrainConfigInput, { resume });
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const config = { ...(configFile ? readConfigFile(configFile) : {}), ...configFromFlags(rest) };
  const result = await train(config as TrainConfigInput);
  console.log(JSON.stringify(result, null, 2));
}
