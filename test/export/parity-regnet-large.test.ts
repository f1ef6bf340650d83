// ONNX export parity (ONNX Runtime vs finegrain, batch 1 and 3, metadata, checker): the 'regnet-large' group of the zoo.
import { test } from 'node:test';
import { listModels } from '../../src/models/registry.js';
import { EXPORT_ALL, groupCases } from './support/cases.js';
import { checkExportParity } from './support/export-parity.js';

for (const c of groupCases(listModels(), 'regnet-large')) {
  test(`${c.name} exports to ONNX and ONNX Runtime reproduces its eval output`, () => checkExportParity(c));
}

if (!EXPORT_ALL)
  test(
    'the regnet-large group exports with FINEGRAIN_EXPORT_PARITY=all',
    { skip: 'set FINEGRAIN_EXPORT_PARITY=all to export every architecture (over an hour on 2 cores)' },
    () => {},
  );
