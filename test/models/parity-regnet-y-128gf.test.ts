// torchvision parity of regnet_y_128gf (645M parameters, a 2.6 GB checkpoint), at 32x32:
// the export, the load and the weights' memory dominate, so it has a file of its own.
import { after, test } from 'node:test';
import { oracleAvailable, oracleSkip } from '../support/oracle.js';
import { startExport, type ExportSpec } from './support/torchvision-export.js';
import { checkParity } from './support/parity.js';

const SPECS: ExportSpec[] = [{ name: 'regnet_y_128gf', imageSize: 32 }];

const run = oracleAvailable() ? startExport(SPECS) : null;
after(() => run?.close());

for (const spec of SPECS) {
  test(`${spec.name} reproduces torchvision's eval output`, { skip: oracleSkip() }, () => checkParity(run!, spec));
}
