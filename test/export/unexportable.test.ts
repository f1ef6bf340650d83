// A layer computing something ONNX export has no mapping for fails with an error naming the layer and the operator.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js'; // the Tensor methods
import { ExportError } from '../../src/export/export-error.js';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { ImageClassifier } from '../../src/models/classifier.js';
import { aten } from '../../src/native/aten.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { Module } from '../../src/nn/module.js';
import { wrap, type Tensor } from '../../src/tensor/tensor.js';

// cumsum over channels: a real ATen operator the exporter does not map.
class RunningSum extends Module {
  forward(x: Tensor): Tensor {
    return wrap(aten('cumsum').call(x.handle, 1, null));
  }
}

class Odd extends ImageClassifier {
  readonly numFeatures = 4;
  readonly classifierPath = 'fc';
  constructor() {
    super(2);
    this.registerModule('stem', new Conv2d(3, 4, 3));
    this.registerModule('mix', new RunningSum());
    this.registerModule('fc', new Linear(4, 2));
  }
  forwardFeatures(x: Tensor): Tensor {
    return (this.getSubmodule('mix') as RunningSum).forward(this.getSubmodule('stem').forward(x));
  }
}

test('an unmapped operator fails with the layer path, its class and the ATen operator', () => {
  const model = new Odd();
  try {
    assert.throws(
      () => exportOnnx(model, { imageSize: 16 }),
      (e: unknown) => {
        assert.ok(e instanceof ExportError);
        assert.equal(e.module, 'mix');
        assert.equal(e.moduleType, 'RunningSum');
        assert.equal(e.operator, 'aten::cumsum');
        assert.match(e.message, /cannot export layer 'mix' \(RunningSum\): ATen operator 'aten::cumsum' has no ONNX mapping/);
        return true;
      },
    );
    // The model is left as it was: its forward still works and is not wrapped any more.
    assert.equal(Object.prototype.hasOwnProperty.call(model.getSubmodule('mix'), 'forward'), false);
  } finally {
    model.dispose();
  }
});
