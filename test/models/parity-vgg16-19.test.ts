// torchvision parity of VGG-16/19 with and without BatchNorm, 64x64 inputs.
import { after, test } from 'node:test';
import { oracleAvailable, oracleSkip } from '../support/oracle.js';
import { startExport, type ExportSpec } from './support/torchvision-export.js';
import { checkParity } from './support/parity.js';

const SPECS: ExportSpec[] = ['vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn'].map((name) => ({ name }));

const run = oracleAvailable() ? startExport(SPECS) : null;
after(() => run?.close());

for (const spec of SPECS) {
  test(`${spec.name} reproduces torchvision's eval output`, { skip: oracleSkip() }, () => checkParity(run!, spec));
}
