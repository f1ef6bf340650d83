// interpolate, pad, affineGrid and gridSample against PyTorch (outputs and gradients).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, randn, rand, manualSeed, scope, tensor } from '../../../src/index.js';
import { parityTests, type ParityCase } from '../../support/parity.js';

manualSeed(6);

const cases: ParityCase[] = [];
const interp: [string, F.InterpolateOptions, string][] = [
  ['nearest x2', { scaleFactor: 2 }, 'scale_factor=2'],
  ['nearest to size', { size: [7, 11] }, 'size=(7, 11)'],
  ['nearest by 1.7 (fractional scale)', { scaleFactor: 1.7 }, 'scale_factor=1.7'],
  ['nearest by 0.6, recomputed scale', { scaleFactor: 0.6, recomputeScaleFactor: true }, 'scale_factor=0.6, recompute_scale_factor=True'],
  ['nearest-exact to size', { size: 9, mode: 'nearest-exact' }, "size=9, mode='nearest-exact'"],
  ['bilinear x2', { scaleFactor: 2, mode: 'bilinear' }, "scale_factor=2, mode='bilinear'"],
  ['bilinear x2 align corners', { scaleFactor: 2, mode: 'bilinear', alignCorners: true }, "scale_factor=2, mode='bilinear', align_corners=True"],
  ['bilinear to size', { size: [9, 4], mode: 'bilinear', alignCorners: false }, "size=(9, 4), mode='bilinear', align_corners=False"],
  ['bilinear to size align corners', { size: [3, 13], mode: 'bilinear', alignCorners: true }, "size=(3, 13), mode='bilinear', align_corners=True"],
  ['bilinear by (1.5, 0.7)', { scaleFactor: [1.5, 0.7], mode: 'bilinear' }, "scale_factor=(1.5, 0.7), mode='bilinear'"],
  [
    'bilinear by 1.3 recomputed',
    { scaleFactor: 1.3, mode: 'bilinear', recomputeScaleFactor: true },
    "scale_factor=1.3, mode='bilinear', recompute_scale_factor=True",
  ],
  ['bilinear antialiased downsample', { size: [3, 4], mode: 'bilinear', antialias: true }, "size=(3, 4), mode='bilinear', antialias=True"],
  ['bicubic to size', { size: [8, 10], mode: 'bicubic' }, "size=(8, 10), mode='bicubic'"],
  ['bicubic align corners', { scaleFactor: 2, mode: 'bicubic', alignCorners: true }, "scale_factor=2, mode='bicubic', align_corners=True"],
  ['area down', { size: [2, 3], mode: 'area' }, "size=(2, 3), mode='area'"],
  ['area by 0.5', { scaleFactor: 0.5, mode: 'area' }, "scale_factor=0.5, mode='area'"],
];
for (const [name, opts, py] of interp) {
  cases.push({
    name: `interpolate ${name}`,
    inputs: { x: randn([2, 3, 6, 7]) },
    grad: ['x'],
    js: (t) => F.interpolate(t.x!, opts),
    py: `F.interpolate(t['x'], ${py})`,
  });
}
cases.push(
  {
    name: 'interpolate alignCorners with nearest fails as in PyTorch',
    inputs: { x: randn([1, 1, 4, 4]) },
    js: (t) => F.interpolate(t.x!, { scaleFactor: 2, alignCorners: true }),
    py: "F.interpolate(t['x'], scale_factor=2, align_corners=True)",
    error: /align_corners option can only be set with the interpolating modes/,
  },
  {
    name: 'interpolate with both size and scaleFactor fails',
    inputs: { x: randn([1, 1, 4, 4]) },
    js: (t) => F.interpolate(t.x!, { size: 8, scaleFactor: 2 }),
    py: "F.interpolate(t['x'], size=8, scale_factor=2)",
    error: /only one of size or scale_factor/,
  },
);

const pads: [string, number[], number[], F.PadOptions, string][] = [
  ['constant W only', [2, 3, 5, 6], [1, 2], {}, '(1, 2)'],
  ['constant value 1.5 W and H', [2, 3, 5, 6], [1, 2, 3, 0], { value: 1.5 }, '(1, 2, 3, 0), value=1.5'],
  ['constant over channels too', [2, 3, 4, 4], [1, 1, 0, 2, 1, 0], {}, '(1, 1, 0, 2, 1, 0)'],
  ['constant negative crops', [2, 3, 5, 6], [-1, 2, 0, -2], {}, '(-1, 2, 0, -2)'],
  ['reflect 4-D', [2, 3, 5, 6], [2, 1, 3, 4], { mode: 'reflect' }, "(2, 1, 3, 4), mode='reflect'"],
  ['reflect 3-D', [2, 3, 6], [2, 3], { mode: 'reflect' }, "(2, 3), mode='reflect'"],
  ['replicate 4-D', [2, 3, 5, 6], [3, 1, 0, 2], { mode: 'replicate' }, "(3, 1, 0, 2), mode='replicate'"],
  ['circular 4-D', [2, 3, 5, 6], [1, 2, 2, 1], { mode: 'circular' }, "(1, 2, 2, 1), mode='circular'"],
];
for (const [name, shape, p, opts, py] of pads) {
  cases.push({ name: `pad ${name}`, inputs: { x: randn(shape) }, grad: ['x'], js: (t) => F.pad(t.x!, p, opts), py: `F.pad(t['x'], ${py})` });
}
cases.push({
  name: 'pad reflect wider than the input fails',
  inputs: { x: randn([1, 1, 3, 3]) },
  js: (t) => F.pad(t.x!, [3, 3, 3, 3], { mode: 'reflect' }),
  py: "F.pad(t['x'], (3, 3, 3, 3), mode='reflect')",
  error: /Padding size should be less than the corresponding input dimension/,
});

for (const align of [false, true]) {
  const A = align ? 'True' : 'False';
  cases.push({
    name: `affineGrid alignCorners ${align}`,
    inputs: { theta: randn([3, 2, 3]) },
    grad: ['theta'],
    js: (t) => F.affineGrid(t.theta!, [3, 2, 5, 7], { alignCorners: align }),
    py: `F.affine_grid(t['theta'], [3, 2, 5, 7], align_corners=${A})`,
  });
  for (const mode of ['bilinear', 'nearest', 'bicubic'] as const) {
    for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
      cases.push({
        name: `gridSample ${mode} ${paddingMode} alignCorners ${align}`,
        // Points well outside [-1, 1] exercise the padding modes.
        inputs: { x: randn([2, 3, 5, 6]), grid: rand([2, 4, 7, 2]).mul(2.6).sub(1.3) },
        // nearest is piecewise constant: no gradient to the grid (it is zero on both sides).
        grad: mode === 'nearest' ? ['x'] : ['x', 'grid'],
        js: (t) => F.gridSample(t.x!, t.grid!, { mode, paddingMode, alignCorners: align }),
        py: `F.grid_sample(t['x'], t['grid'], mode='${mode}', padding_mode='${paddingMode}', align_corners=${A})`,
      });
    }
  }
}
cases.push(
  {
    name: 'affineGrid then gridSample (a spatial transformer)',
    inputs: {
      x: randn([2, 3, 8, 8]),
      theta: randn([2, 2, 3])
        .mul(0.3)
        .add(
          tensor([
            [1, 0, 0],
            [0, 1, 0],
          ]),
        ),
    },
    grad: ['x', 'theta'],
    js: (t) => F.gridSample(t.x!, F.affineGrid(t.theta!, [2, 3, 6, 6])),
    py: "F.grid_sample(t['x'], F.affine_grid(t['theta'], [2, 3, 6, 6], align_corners=False), align_corners=False)",
  },
  {
    name: 'affineGrid with a wrongly shaped theta fails',
    inputs: { theta: randn([2, 3, 3]) },
    js: (t) => F.affineGrid(t.theta!, [2, 3, 6, 6]),
    py: "F.affine_grid(t['theta'], [2, 3, 6, 6], align_corners=False)",
    error: /Expected a batch of 2D affine matrices of shape Nx2x3/,
  },
);

parityTests(cases);

test('identity transforms: affineGrid + gridSample and interpolate to the same size', () => {
  scope(() => {
    const x = randn([1, 2, 5, 5]);
    const eye = tensor([
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
    ]);
    for (const alignCorners of [false, true]) {
      const y = F.gridSample(x, F.affineGrid(eye, [1, 2, 5, 5], { alignCorners }), { alignCorners });
      assert.ok(y.allclose(x, 1e-5, 1e-5), `alignCorners ${alignCorners}`);
    }
    assert.ok(F.interpolate(x, { size: 5, mode: 'bilinear' }).allclose(x));
    assert.throws(() => F.interpolate(randn([2, 3, 4]), { size: 8 }), /expected a 4-D/);
    assert.throws(() => F.pad(x, [1, 2, 3]), /divisible by 2/);
    assert.throws(() => F.gridSample(x, randn([1, 5, 5, 2]), { mode: 'area' as 'nearest' }), /expected mode/);
  });
});
