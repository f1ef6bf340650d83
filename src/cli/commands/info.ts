/** `finegrain info`: what this installation runs on. */
import { buildInfo, getNumThreads } from '../../runtime/settings.js';
import { cuda } from '../../tensor/device.js';

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    console.log('usage: finegrain info [--config]\n\nPrints the libtorch version, devices and threads (--config: libtorch build configuration).');
    return;
  }
  const info = buildInfo();
  console.log(`libtorch ${info.torchVersion}; oneDNN ${info.mkldnn ? 'yes' : 'no'}; CUDA devices ${cuda.deviceCount()}; CPU threads ${getNumThreads()}`);
  if (argv.includes('--config')) console.log(info.config + '\n' + info.parallel);
}
