/**
 * The feature-access contract every zoo model keeps (ImageClassifier): `resetClassifier`
 * swaps the final layer for a new label set (or none), `forwardEmbedding` feeds
 * `forwardHead`, and `forward` is their composition.
 *
 * @example
 *   checkHeadReset(createModel('densenet121'), [2, 3, 32, 32]);
 */
import assert from 'node:assert/strict';
import { noGrad, randn, scope } from '../../src/index.js';
import type { ImageClassifier } from '../../src/models/classifier.js';

/** Resets to 5 classes (dropout 0.1), then to none; checks shapes and that forward = head(embedding). Disposes the model. */
export function checkHeadReset(model: ImageClassifier, inputShape: number[]): void {
  try {
    model.eval();
    model.resetClassifier(5, { dropRate: 0.1 });
    assert.equal(model.numClasses, 5);
    assert.deepEqual(model.stateDict()[`${model.classifierPath}.weight`]!.shape, [5, model.numFeatures]);
    scope(() => {
      const x = randn(inputShape);
      const embedding = noGrad(() => model.forwardEmbedding(x));
      assert.deepEqual(embedding.shape, [inputShape[0], model.numFeatures]);
      assert.ok(
        noGrad(() => model.forward(x)).allclose(
          noGrad(() => model.forwardHead(embedding)),
          1e-5,
          1e-6,
        ),
        'forward = forwardHead(forwardEmbedding)',
      );
      model.resetClassifier(0);
      assert.ok(noGrad(() => model.forward(x)).allclose(embedding, 1e-5, 1e-6), 'no classifier: forward gives the embedding');
    });
  } finally {
    model.dispose();
  }
}
