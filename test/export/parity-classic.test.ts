// ONNX export parity (ONNX Runtime vs finegrain, batch 1 and 3, metadata, checker): the 'classic' group of the zoo.
import { test } from 'node:test';
import { listModels } from '../../src/models/registry.js';
import { groupCases } from './support/cases.js';
import { checkExportParity } from './support/export-parity.js';

for (const c of groupCases(listModels(), 'classic')) {
  test(`${c.name} exports to ONNX and ONNX Runtime reproduces its eval output`, () => checkExportParity(c));
}
