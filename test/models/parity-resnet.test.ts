// torchvision parity of the ResNet family (resnet18 … 152, ResNeXt, Wide ResNet), 64x64 inputs.
import { after, test } from 'node:test';
import { oracleAvailable, oracleSkip } from '../support/oracle.js';
import { startExport, type ExportSpec } from './support/torchvision-export.js';
import { checkParity } from './support/parity.js';

const SPECS: ExportSpec[] = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'wide_resnet50_2'].map((name) => ({ name }));

const run = oracleAvailable() ? startExport(SPECS) : null;
after(() => run?.close());

for (const spec of SPECS) {
  test(`${spec.name} reproduces torchvision's eval output`, { skip: oracleSkip() }, () => checkParity(run!, spec));
}
