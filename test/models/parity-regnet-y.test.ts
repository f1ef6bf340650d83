// torchvision parity of every RegNetY below 128 GFLOPs; regnet_y_32gf (145M parameters) runs at 32x32 to keep
// its forward pass short (its weights dominate the cost anyway).
import { after, test } from 'node:test';
import { oracleAvailable, oracleSkip } from '../support/oracle.js';
import { startExport, type ExportSpec } from './support/torchvision-export.js';
import { checkParity } from './support/parity.js';

const SPECS: ExportSpec[] = ['400mf', '800mf', '1_6gf', '3_2gf', '8gf', '16gf', '32gf'].map((s) => ({
  name: `regnet_y_${s}`,
  imageSize: s === '32gf' ? 32 : 64,
}));

const run = oracleAvailable() ? startExport(SPECS) : null;
after(() => run?.close());

for (const spec of SPECS) {
  test(`${spec.name} reproduces torchvision's eval output`, { skip: oracleSkip() }, () => checkParity(run!, spec));
}
