// torchvision parity of every RegNetX and RegNetY. The three largest (up to 645M parameters)
// run at 32x32 to keep the forward passes short; the weights dominate their cost anyway.
import { after, test } from 'node:test';
import { oracleAvailable, oracleSkip } from '../support/oracle.js';
import { startExport, type ExportSpec } from './support/torchvision-export.js';
import { checkParity } from './support/parity.js';

const SIZES = ['400mf', '800mf', '1_6gf', '3_2gf', '8gf', '16gf', '32gf'];
const BIG = new Set(['regnet_x_32gf', 'regnet_y_32gf', 'regnet_y_128gf']);
const NAMES = [...SIZES.map((s) => `regnet_x_${s}`), ...SIZES.map((s) => `regnet_y_${s}`), 'regnet_y_128gf'];
const SPECS: ExportSpec[] = NAMES.map((name) => ({ name, imageSize: BIG.has(name) ? 32 : 64 }));

const run = oracleAvailable() ? startExport(SPECS) : null;
after(() => run?.close());

for (const spec of SPECS) {
  test(`${spec.name} reproduces torchvision's eval output`, { skip: oracleSkip() }, () => checkParity(run!, spec));
}
