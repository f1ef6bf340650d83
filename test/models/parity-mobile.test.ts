// torchvision parity of MobileNetV2, MobileNetV3 small/large and EfficientNet-B0…B7, 64x64 inputs.
import { after, test } from 'node:test';
import { oracleAvailable, oracleSkip } from '../support/oracle.js';
import { startExport, type ExportSpec } from './support/torchvision-export.js';
import { checkParity } from './support/parity.js';

const NAMES = ['mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `efficientnet_b${i}`)];
const SPECS: ExportSpec[] = NAMES.map((name) => ({ name }));

const run = oracleAvailable() ? startExport(SPECS) : null;
after(() => run?.close());

for (const spec of SPECS) {
  test(`${spec.name} reproduces torchvision's eval output`, { skip: oracleSkip() }, () => checkParity(run!, spec));
}
