/**
 * The torchvision parity check: a model created by name from the exported weights (through
 * `createModel`'s `pretrained` loader) must reproduce torchvision's eval-mode output on the
 * exported input to within 1e-4 of the output's largest magnitude, and free every tensor it
 * made.
 *
 * @example
 *   for (const spec of SPECS) test(spec.name, { skip: oracleSkip() }, () => checkParity(run, spec));
 */
import assert from 'node:assert/strict';
import { noGrad, liveTensors, scope, loadSafetensors } from '../../../src/index.js';
import { createModel } from '../../../src/models/index.js';
import { assertClose } from '../../support/assert-close.js';
import type { ExportRun, ExportSpec } from './torchvision-export.js';

export async function checkParity(run: ExportRun, spec: ExportSpec, numClasses = 1000): Promise<void> {
  const files = await run.ready(spec.name);
  const before = liveTensors();
  try {
    const model = createModel(spec.name, { pretrained: files.weights, numClasses });
    try {
      model.eval();
      scope(() => {
        const { tensors } = loadSafetensors(files.io);
        const out = noGrad(() => model.forward(tensors.input!));
        assertClose(out, tensors.output!, { rtol: 1e-4, atol: 0, message: `${spec.name} vs torchvision` });
      });
    } finally {
      model.dispose();
    }
    assert.equal(liveTensors(), before, `${spec.name}: tensors left alive`);
  } finally {
    run.done(spec.name);
  }
}
