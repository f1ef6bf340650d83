import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scope } from '../../src/index.js';
import { AUTO_AUGMENT_POLICIES, augmentationSpace, autoAugment, randAugment, Rng, trivialAugmentWide, type AugmentOp } from '../../src/data/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { testBatch } from './support/images.js';

const OPS: AugmentOp[] = [
  'Identity',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
  'Rotate',
  'Brightness',
  'Color',
  'Contrast',
  'Sharpness',
  'Posterize',
  'Solarize',
  'AutoContrast',
  'Equalize',
  'Invert',
];

test('the ImageNet, CIFAR-10 and SVHN policies are torchvision 0.14 (= Cubuk et al. 2019) step for step', { skip: oracleSkip() }, () => {
  scope(() => {
    const ref = torchOracle(`
      from torchvision.transforms.autoaugment import AutoAugment, AutoAugmentPolicy
      names = ${JSON.stringify(OPS)}
      rows = []
      for p in ['imagenet', 'cifar10', 'svhn']:
          for sub in AutoAugment(AutoAugmentPolicy(p)).policies:
              rows.append([[names.index(op), prob, -1 if mag is None else mag] for (op, prob, mag) in sub])
      outputs['p'] = torch.tensor(rows, dtype=torch.float64)
    `).p!.toArray() as number[][][];
    const ours = (['imagenet', 'cifar10', 'svhn'] as const).flatMap((p) =>
      AUTO_AUGMENT_POLICIES[p].map((sub) => sub.map(([op, prob, mag]) => [OPS.indexOf(op), prob, mag ?? -1])),
    );
    assert.equal(ours.length, 75);
    assert.deepEqual(ours, ref);
  });
});

test("augmentation spaces (op order, bins, signs) are torchvision 0.14's, bit for bit", { skip: oracleSkip() }, () => {
  scope(() => {
    const [h, w] = [37, 53];
    const ref = torchOracle(`
      from torchvision.transforms.autoaugment import AutoAugment, RandAugment, TrivialAugmentWide
      names = ${JSON.stringify(OPS)}
      def encode(space, bins):
          rows = []
          for op, (mags, signed) in space.items():
              m = mags.tolist() if mags.ndim > 0 else [float('nan')] * bins
              rows.append([names.index(op), float(signed)] + [float(v) for v in m])
          return torch.tensor(rows, dtype=torch.float64)
      outputs['auto'] = encode(AutoAugment()._augmentation_space(10, (${h}, ${w})), 10)
      outputs['rand'] = encode(RandAugment()._augmentation_space(31, (${h}, ${w})), 31)
      outputs['trivial'] = encode(TrivialAugmentWide()._augmentation_space(31), 31)
    `);
    for (const [kind, bins] of [
      ['auto', 10],
      ['rand', 31],
      ['trivial', 31],
    ] as const) {
      const rows = [...augmentationSpace(kind, bins, h, w)].map(([op, s]) => [
        OPS.indexOf(op),
        s.signed ? 1 : 0,
        ...(s.magnitudes ?? new Array<number>(bins).fill(NaN)),
      ]);
      assert.deepEqual(rows, ref[kind]!.toArray(), kind);
    }
  });
});

test('AutoAugment, RandAugment and TrivialAugmentWide are deterministic per image seed and change images', () => {
  scope(() => {
    const x = testBatch(16, 32, 40);
    for (const t of [autoAugment('imagenet'), autoAugment('cifar10'), autoAugment('svhn'), randAugment({ numOps: 2, magnitude: 9 }), trivialAugmentWide()]) {
      const ctx = (seed: number) => Array.from({ length: 16 }, (_, i) => ({ rng: Rng.derive(seed, i) }));
      const a = t.apply(x, ctx(1));
      const b = t.apply(x, ctx(1));
      assert.ok(a.equal(b), `${t.name} is not deterministic`);
      assert.ok(!a.equal(x), `${t.name} changed nothing`);
      assert.deepEqual(a.shape, x.shape);
      assert.equal(a.dtype, 'uint8');
      // Image 5 alone gets the same augmentation as inside the batch.
      const one = t.apply(x.narrow(0, 5, 1), [{ rng: Rng.derive(1, 5) }]);
      assert.ok(one.equal(a.narrow(0, 5, 1)), `${t.name} depends on batch makeup`);
    }
  });
});

test('AutoAugment picks sub-policies uniformly and applies steps with their probabilities', () => {
  // On n copies of one image, the share left unchanged estimates the chance that no step
  // ran: the mean over the 25 sub-policies of (1 - p1)(1 - p2).
  scope(() => {
    const n = 400;
    const x = testBatch(1, 24, 24).expand(n, 3, 24, 24).contiguous();
    const y = autoAugment('imagenet').apply(
      x,
      Array.from({ length: n }, (_, i) => ({ rng: Rng.derive(3, i) })),
    );
    const changed = y.ne(x).flatten(1).sum(1).gt(0).sum().item();
    const none = AUTO_AUGMENT_POLICIES.imagenet.reduce((s, [[, p1], [, p2]]) => s + (1 - p1) * (1 - p2), 0) / 25;
    const expected = n * (1 - none);
    assert.ok(Math.abs(changed - expected) < 0.1 * n, `changed ${changed}, expected about ${expected.toFixed(0)}`);
  });
});

test('randAugment checks its magnitude against the bins', () => {
  assert.throws(() => randAugment({ magnitude: 31 }), /bin in \[0, 31\)/);
  assert.throws(() => autoAugment('mnist' as never), /unknown policy/);
});
