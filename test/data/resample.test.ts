import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scope } from '../../src/index.js';
import {
  centerCrop,
  compose,
  cropToBox,
  cropView,
  flipView,
  identityView,
  normalizeBatch,
  randomResizedCrop,
  randomResizedCropParams,
  resampleBatch,
  resize,
  resizeView,
  Rng,
  roundHalfEven,
  type View,
} from '../../src/data/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { mismatch, testImage, toBatch } from './support/images.js';

test('resized crops and flips match torchvision resized_crop (bilinear, antialias=False) + hflip', { skip: oracleSkip() }, (t) => {
  scope(() => {
    const [h, w] = [61, 83];
    const rng = new Rng('resample-test');
    const images = Array.from({ length: 24 }, (_, i) => testImage(i, h, w));
    // Up- and down-scaling crops of all shapes, some touching the borders, half flipped.
    const boxes = images.map((_, i) => {
      const bh = i === 0 ? h : 1 + rng.int(h);
      const bw = i === 0 ? w : 1 + rng.int(w);
      return [rng.int(h - bh + 1), rng.int(w - bw + 1), bh, bw, i % 2] as const;
    });
    const views = boxes.map(([top, left, bh, bw, flip]) => {
      let v: View = resizeView(cropView(identityView(w, h), top, left, bh, bw), 40, 56);
      if (flip) v = flipView(v);
      return v;
    });
    const ours = resampleBatch(images, views);
    const ref = torchOracle(
      `
      from torchvision.transforms import functional as TF
      boxes = ${JSON.stringify(boxes)}
      out = []
      for i, (top, left, bh, bw, flip) in enumerate(boxes):
          r = TF.resized_crop(inputs['x'][i], top, left, bh, bw, [40, 56], antialias=False)
          out.append(TF.hflip(r) if flip else r)
      outputs['y'] = torch.stack(out)
    `,
      { x: toBatch(images) },
    ).y!;
    const m = mismatch(ours, ref);
    t.diagnostic(`${m.count} of ${ours.numel} values differ (max ${m.max})`);
    // ATen may fuse the blend into FMAs; a value then rarely rounds the other way.
    assert.ok(m.max <= 1 && m.frac < 1e-3, `${m.count} values differ, max ${m.max}`);
  });
});

test('resize(256) + centerCrop(224) composes into one view and matches torchvision within rounding', { skip: oracleSkip() }, () => {
  scope(() => {
    const images = [testImage(1, 300, 451), testImage(2, 300, 451)];
    const ctx = images.map((_, i) => ({ rng: new Rng(i) }));
    const ours = compose([resize(256), centerCrop(224)]).run(images, ctx);
    assert.deepEqual(ours.shape, [2, 3, 224, 224]);
    const ref = torchOracle(
      `
      from torchvision.transforms import functional as TF
      outputs['y'] = TF.center_crop(TF.resize(inputs['x'], 256, antialias=False), 224)
    `,
      { x: toBatch(images) },
    ).y!;
    // One resampling pass instead of two: not bit-identical, but the same picture.
    const diff = ours.float().sub(ref.float()).abs();
    assert.ok(diff.mean().item() < 2.5, `mean abs difference ${diff.mean().item()}`);
  });
});

test('RandomResizedCrop parameters follow torchvision: area and ratio ranges, integer boxes inside the image', () => {
  const rng = new Rng('rrc');
  let areas = 0;
  for (let i = 0; i < 2000; i++) {
    const [top, left, h, w] = randomResizedCropParams(375, 500, { rng });
    assert.ok(Number.isInteger(top) && Number.isInteger(left) && top >= 0 && left >= 0 && top + h <= 375 && left + w <= 500);
    const ratio = w / h;
    areas += (h * w) / (375 * 500);
    if (h < 375 && w < 500) assert.ok(ratio > 0.7 && ratio < 1.42, `ratio ${ratio}`);
  }
  // Area share is uniform on [0.08, 1] except when capped: mean a bit below 0.54.
  assert.ok(areas / 2000 > 0.4 && areas / 2000 < 0.56, `mean area share ${areas / 2000}`);
  // A thin image falls back to the central crop with the extreme ratio.
  const [top, left, h, w] = randomResizedCropParams(10, 1000, { rng }, { scale: [0.9, 1] });
  assert.deepEqual([top, h], [0, 10]);
  assert.equal(w, roundHalfEven(10 * (4 / 3)));
  assert.equal(left, Math.trunc((1000 - w) / 2));
});

test('views are deterministic under a seed and independent of batch makeup', () => {
  scope(() => {
    const images = Array.from({ length: 6 }, (_, i) => testImage(i, 50, 70));
    const tf = compose([randomResizedCrop(32)]);
    const ctx = (i: number) => ({ rng: Rng.derive(7, 'sample', 0, i) });
    const all = tf.run(
      images,
      images.map((_, i) => ctx(i)),
    );
    const again = tf.run(
      images,
      images.map((_, i) => ctx(i)),
    );
    assert.ok(all.equal(again));
    // Image 3 alone comes out the same as inside the batch.
    const alone = tf.run([images[3]!], [ctx(3)]);
    assert.ok(alone.equal(all.narrow(0, 3, 1)));
    const other = tf.run(
      images,
      images.map((_, i) => ({ rng: Rng.derive(8, 'sample', 0, i) })),
    );
    assert.ok(!other.equal(all));
  });
});

test('resampleBatch checks its inputs', () => {
  const im = testImage(0, 10, 12);
  assert.throws(() => resampleBatch([im], []), /1 images but 0 views/);
  assert.throws(() => resampleBatch([im, im], [resizeView(identityView(12, 10), 4, 4), resizeView(identityView(12, 10), 5, 4)]), /one size/);
  assert.throws(() => resampleBatch([im], [identityView(11, 10)]), /made for 11x10/);
});

test('normalize is bit-identical to torchvision ToTensor + Normalize', { skip: oracleSkip() }, () => {
  scope(() => {
    const x = toBatch([testImage(3, 19, 23), testImage(4, 19, 23)]);
    const ours = normalizeBatch(x, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    const ref = torchOracle(
      `
      from torchvision import transforms as T
      tf = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
      outputs['y'] = torch.stack([tf(img.to(torch.float32).div(255)) for img in inputs['x']])
    `,
      { x },
    ).y!;
    assert.ok(ours.equal(ref), `max difference ${ours.sub(ref).abs().max().item()}`);
    assert.throws(() => normalizeBatch(ours), /expected a uint8 batch/);
  });
});

test('cropToBox crops each image to its own box (the attention-region crop) and falls back without one', () => {
  scope(() => {
    const im = testImage(9, 40, 80);
    const box = { x: 0.25, y: 0.1, width: 0.5, height: 0.5 };
    const boxed = compose([cropToBox(24)]).run(
      [im, im],
      [
        { rng: new Rng(0), sample: { path: 'a', label: 0, box } },
        { rng: new Rng(0), sample: { path: 'b', label: 0 } },
      ],
    );
    // The box is pixels (top 4, left 20, 20 x 40): the same as an explicit crop view.
    const explicit = resampleBatch([im], [resizeView(cropView(identityView(80, 40), 4, 20, 20, 40), 24, 24)]);
    assert.ok(boxed.narrow(0, 0, 1).equal(explicit));
    const whole = resampleBatch([im], [resizeView(identityView(80, 40), 24, 24)]);
    assert.ok(boxed.narrow(0, 1, 1).equal(whole));
    // A box given by a function wins over the sample's.
    const viaFn = compose([cropToBox(24, { boxOf: () => box })]).run([im], [{ rng: new Rng(0) }]);
    assert.ok(viaFn.equal(explicit));
  });
});
