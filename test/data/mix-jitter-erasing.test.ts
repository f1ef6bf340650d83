import { test } from 'node:test';
import assert from 'node:assert/strict';
import { full, scope } from '../../src/index.js';
import { adjustHue, colorJitter, cutmix, cutmixBox, mixup, mixupCutmix, randomErasing, Rng, softTargets } from '../../src/data/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { mismatch, testBatch } from './support/images.js';

test('adjustHue matches torchvision adjust_hue on uint8 within one level', { skip: oracleSkip() }, (t) => {
  scope(() => {
    const x = testBatch(6, 21, 30);
    const factors = [-0.5, -0.3, -0.05, 0.1, 0.25, 0.5];
    const ours = adjustHue(x, factors);
    const ref = torchOracle(
      `
      from torchvision.transforms import functional as TF
      f = ${JSON.stringify(factors)}
      outputs['y'] = torch.stack([TF.adjust_hue(inputs['x'][i], f[i]) for i in range(len(f))])
    `,
      { x },
    ).y!;
    const m = mismatch(ours, ref);
    t.diagnostic(`${m.count} of ${ours.numel} values differ (max ${m.max})`);
    assert.ok(m.max <= 1 && m.frac < 1e-3, `${m.count} values differ, max ${m.max}`);
  });
});

test('colorJitter draws per-image factors within range and is deterministic', () => {
  scope(() => {
    const x = testBatch(8, 16, 16);
    const cj = colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    const ctx = (s: number) => Array.from({ length: 8 }, (_, i) => ({ rng: Rng.derive(s, i) }));
    const a = cj.apply(x, ctx(1));
    assert.ok(a.equal(cj.apply(x, ctx(1))));
    assert.ok(!a.equal(x));
    // Brightness only with range [1, 1] changes nothing.
    assert.ok(
      colorJitter({ brightness: [1, 1] })
        .apply(x, ctx(2))
        .equal(x),
    );
  });
});

test('Mixup mixes images and targets with the same lambda; CutMix pastes a box and corrects lambda', () => {
  scope(() => {
    const n = 4;
    // Image i is constant i: mixed pixels reveal lambda.
    const x = full([n, 3, 20, 20], 0);
    for (let i = 0; i < n; i++) x.narrow(0, i, 1).fill_(i);
    const labels = [0, 1, 2, 3];
    const m = mixup(0.8).apply(x, labels, 4, new Rng(1));
    assert.equal(m.mode, 'mixup');
    const lam = m.lambda;
    const px = m.images.select(0, 0).select(0, 0).select(0, 0).select(0, 0).item(); // 0 * lam + 3 * (1 - lam)
    assert.ok(Math.abs(px - 3 * (1 - lam)) < 1e-5);
    const tgt = m.targets.toArray() as number[][];
    assert.ok(Math.abs(tgt[0]![0]! - lam) < 1e-6 && Math.abs(tgt[0]![3]! - (1 - lam)) < 1e-6);
    const c = cutmix(1).apply(x, labels, 4, new Rng(2));
    assert.equal(c.mode, 'cutmix');
    const pasted = c.images.select(0, 0).select(0, 0).eq(3).sum().item(); // pixels of image 3 in image 0
    assert.ok(Math.abs(1 - pasted / 400 - c.lambda) < 1e-9, `lambda ${c.lambda} vs pasted share ${pasted / 400}`);
    const ct = c.targets.toArray() as number[][];
    assert.ok(Math.abs(ct[0]![0]! - c.lambda) < 1e-6);
    // Label smoothing and the switch.
    assert.deepEqual(
      Array.from(softTargets([1], 4, 0.2)).map((v) => +v.toFixed(4)),
      [0.05, 0.85, 0.05, 0.05],
    );
    const modes = new Set(Array.from({ length: 20 }, (_, i) => scope(() => mixupCutmix().apply(x, labels, 4, new Rng(i)).mode)));
    assert.deepEqual([...modes].sort(), ['cutmix', 'mixup']);
    assert.ok(mixupCutmix({ prob: 0 }).apply(x, labels, 4, new Rng(0)).images.equal(x));
  });
});

test('cutmixBox stays inside the image and shrinks with lambda', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 200; i++) {
    const lam = rng.next();
    const [top, left, h, w] = cutmixBox(30, 40, lam, rng);
    assert.ok(top >= 0 && left >= 0 && top + h <= 30 && left + w <= 40);
    assert.ok(h * w <= 30 * 40 * (1 - lam) + 1e-9 + 2 * (30 + 40));
  }
});

test('randomErasing erases one rectangle of the given area range with p', () => {
  scope(() => {
    const x = full([200, 3, 32, 32], 1);
    const ctxs = Array.from({ length: 200 }, (_, i) => ({ rng: Rng.derive(9, i) }));
    const y = randomErasing({ p: 0.5, value: 0 }).apply(x, ctxs);
    const erased = y.eq(0).sum([1, 2, 3]).toArray() as number[];
    let hit = 0;
    for (let i = 0; i < 200; i++) {
      const e = erased[i]!;
      if (!e) continue;
      hit++;
      const share = e / 3 / 1024;
      assert.ok(share >= 0.015 && share <= 0.36, `erased share ${share}`);
    }
    assert.ok(hit > 70 && hit < 130, `${hit} of 200 erased`);
    assert.ok(x.eq(1).all().item());
    const noisy = randomErasing({ p: 1, value: 'random' }).apply(x.narrow(0, 0, 4), ctxs.slice(0, 4));
    assert.ok(noisy.ne(1).sum().item() > 0);
  });
});
