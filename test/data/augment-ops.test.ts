import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scope } from '../../src/index.js';
import { applyOps, augmentationSpace, type AugmentOp, type OpChoice } from '../../src/data/index.js';
import { torchOracle, oracleSkip } from '../support/oracle.js';
import { mismatch, testBatch } from './support/images.js';

// Every (op, magnitude) of AutoAugment's 10-bin space, both signs where signed, plus the
// wide TrivialAugment ranges, on odd-sized images (h != w catches axis mix-ups).
function choices(kind: 'auto' | 'trivial', h: number, w: number): OpChoice[] {
  const out: OpChoice[] = [];
  for (const [op, s] of augmentationSpace(kind, kind === 'auto' ? 10 : 31, h, w)) {
    // Ops without a magnitude run on 8 images (seeds 5 and 6 have a flat channel and a
    // very low contrast: the special branches of AutoContrast and Equalize).
    const mags = s.magnitudes ? (kind === 'auto' ? s.magnitudes : s.magnitudes.filter((_, i) => i % 3 === 0)) : new Array<number>(8).fill(0);
    for (const m of mags) {
      out.push({ op, magnitude: m });
      if (s.signed && m !== 0) out.push({ op, magnitude: -m });
    }
  }
  return out;
}

function torchvisionApply(list: OpChoice[]): string {
  return `
    from torchvision.transforms.autoaugment import _apply_op
    from torchvision.transforms import InterpolationMode
    ops = ${JSON.stringify(list.map((c) => [c.op, c.magnitude]))}
    x = inputs['x']
    outputs['y'] = torch.stack([_apply_op(x[i], op, float(m), interpolation=InterpolationMode.NEAREST, fill=None) for i, (op, m) in enumerate(ops)])
  `;
}

for (const kind of ['auto', 'trivial'] as const) {
  test(
    `every ${kind === 'auto' ? 'AutoAugment' : 'TrivialAugmentWide'} op and magnitude matches torchvision's _apply_op on uint8 tensors`,
    { skip: oracleSkip() },
    (t) => {
      scope(() => {
        const [h, w] = [37, 53];
        const list = choices(kind, h, w);
        const x = testBatch(list.length, h, w);
        const ours = applyOps(x, list);
        const ref = torchOracle(torchvisionApply(list), { x }).y!;
        const byOp = new Map<AugmentOp, { count: number; max: number; n: number }>();
        for (let i = 0; i < list.length; i++) {
          const m = mismatch(ours.narrow(0, i, 1), ref.narrow(0, i, 1));
          const e = byOp.get(list[i]!.op) ?? { count: 0, max: 0, n: 0 };
          byOp.set(list[i]!.op, { count: e.count + m.count, max: Math.max(e.max, m.max), n: e.n + 3 * h * w });
        }
        t.diagnostic([...byOp].map(([op, e]) => `${op} ${e.count}/${e.n}`).join(', '));
        for (const [op, e] of byOp) {
          // Colour ops are float32-exact; geometric ones too unless a sampling point lands
          // within an ulp of a pixel boundary: cos/sin of V8 vs CPython, and torchvision's grid
          // comes from a BLAS bmm whose rounding depends on the BLAS (OpenBLAS's AVX-512 kernels
          // fuse multiply-adds: ShearY then differs on 0.11% of values, the reference BLAS on
          // none). Allow 0.2% of pixels; a wrong transform differs on most of them.
          assert.ok(e.count / e.n <= 2e-3, `${op}: ${e.count} of ${e.n} values differ (max ${e.max})`);
          if (!['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'].includes(op)) assert.ok(e.max <= 1, `${op}: max difference ${e.max}`);
        }
      });
    },
  );
}

test('ops with fill put the fill colour where no source pixel lands, as torchvision', { skip: oracleSkip() }, () => {
  scope(() => {
    const list: OpChoice[] = [
      { op: 'Rotate', magnitude: 30 },
      { op: 'TranslateX', magnitude: -9.7 },
      { op: 'ShearY', magnitude: 0.3 },
    ];
    const x = testBatch(3, 24, 31);
    const ours = applyOps(x, list, [10, 200, 30]);
    const ref = torchOracle(
      `
      from torchvision.transforms.autoaugment import _apply_op
      from torchvision.transforms import InterpolationMode
      ops = ${JSON.stringify(list.map((c) => [c.op, c.magnitude]))}
      outputs['y'] = torch.stack([_apply_op(inputs['x'][i], op, m, interpolation=InterpolationMode.NEAREST, fill=[10.0, 200.0, 30.0]) for i, (op, m) in enumerate(ops)])
    `,
      { x },
    ).y!;
    const m = mismatch(ours, ref);
    assert.ok(m.frac <= 1e-3, `${m.count} values differ`);
  });
});

test('applyOps leaves the input alone, skips nulls and Identity, and frees its temporaries', () => {
  scope(() => {
    const x = testBatch(4, 16, 16);
    const before = x.toTypedArray();
    const y = applyOps(x, [null, { op: 'Identity', magnitude: 0 }, { op: 'Invert', magnitude: 0 }, null]);
    assert.deepEqual(x.toTypedArray(), before);
    assert.ok(y.narrow(0, 0, 2).equal(x.narrow(0, 0, 2)));
    assert.ok(y.narrow(0, 2, 1).equal(x.narrow(0, 2, 1).mul(-1).add(255).to({ dtype: 'uint8' })));
    assert.throws(() => applyOps(x, [null]), /4 images but 1 choices/);
  });
});
