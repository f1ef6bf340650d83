/**
 * RegNetX / RegNetY (Radosavovic et al., "Designing Network Design Spaces", CVPR 2020) as
 * torchvision builds them: a 3x3 stem, four stages of residual bottleneck blocks with grouped
 * 3x3 convolutions (plus squeeze-excite in the Y models), and a linear classifier. State-dict
 * names are torchvision's: `stem.0.weight`, `trunk_output.block1.block1-0.proj.0.weight`,
 * `…f.a.0.weight`, `…f.b.0`, `…f.se.fc1`, `…f.c.1.running_mean`, `fc.weight`.
 * regnet_y_16gf is the backbone of the competition recipe.
 *
 * @example
 *   const model = new RegNet(REGNETS.regnet_y_16gf, { numClasses: 200 });
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Identity } from '../../nn/layers/identity.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { conv2dNormActivation } from '../../nn/layers/conv-norm-act.js';
import { SqueezeExcite } from '../../nn/attention/squeeze-excite.js';
import { roundHalfEven } from '../../nn/divisible.js';
import { normal_, zeros_ } from '../../nn/init.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import { torchvisionRegNetStages, type RegNetParams } from './widths.js';

/** torchvision's `ResBottleneckBlock`: optional projection `proj`, transform `f` (a, b, se, c). */
export class ResBottleneckBlock extends Module {
  /** The shortcut projection (1x1 conv + BatchNorm) where the stride or width changes; undefined otherwise. */
  declare readonly proj: Sequential | undefined;
  /** The residual branch: `a` (1x1), `b` (grouped 3x3), `se` (Y models), `c` (1x1 + BatchNorm). */
  declare readonly f: Sequential;
  /** The ReLU after the addition. */
  declare readonly activation: ReLU;

  constructor(widthIn: number, widthOut: number, stride: number, groupWidth: number, bottleneckRatio: number, seRatio: number | undefined) {
    super();
    if (widthIn !== widthOut || stride !== 1) {
      this.registerModule('proj', conv2dNormActivation(widthIn, widthOut, { kernelSize: 1, stride, activation: null }));
    }
    const wb = roundHalfEven(widthOut * bottleneckRatio);
    const groups = Math.floor(wb / groupWidth);
    const layers: [string, Module][] = [
      ['a', conv2dNormActivation(widthIn, wb, { kernelSize: 1 })],
      ['b', conv2dNormActivation(wb, wb, { kernelSize: 3, stride, groups })],
    ];
    if (seRatio) layers.push(['se', new SqueezeExcite(wb, { rdChannels: roundHalfEven(seRatio * widthIn) })]);
    layers.push(['c', conv2dNormActivation(wb, widthOut, { kernelSize: 1, activation: null })]);
    this.registerModule('f', new Sequential(layers));
    this.registerModule('activation', new ReLU({ inplace: true }));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const shortcut = this.proj ? this.proj.forward(x) : x;
      return this.activation.forward(this.f.forward(x).add_(shortcut));
    });
  }
}

/**
 * RegNetX / RegNetY as torchvision builds them, with its state-dict names.
 *
 * @example
 *   const model = new RegNet(REGNETS.regnet_y_16gf, { numClasses: 200 });
 */
export class RegNet extends ImageClassifier {
  /** The 3x3 stride-2 convolution + BatchNorm + ReLU. */
  declare readonly stem: Sequential;
  /** The four stages, `block1` to `block4`. */
  declare readonly trunk_output: Sequential;
  /** The final Linear (an `Identity` when made with `numClasses: 0`). */
  declare readonly fc: Linear | Identity;
  readonly numFeatures: number;
  readonly classifierPath = 'fc';

  constructor(params: RegNetParams, options: ModelOptions) {
    super(options.numClasses);
    const stemWidth = 32;
    this.registerModule('stem', conv2dNormActivation(3, stemWidth, { kernelSize: 3, stride: 2 }));
    let width = stemWidth;
    const stages: [string, Module][] = torchvisionRegNetStages(params).map((s, i) => {
      const blocks: [string, Module][] = [];
      for (let j = 0; j < s.depth; j++) {
        blocks.push([
          `block${i + 1}-${j}`,
          new ResBottleneckBlock(j === 0 ? width : s.width, s.width, j === 0 ? 2 : 1, s.groupWidth, params.bottleneckRatio ?? 1, params.seRatio),
        ]);
      }
      width = s.width;
      return [`block${i + 1}`, new Sequential(blocks)];
    });
    this.registerModule('trunk_output', new Sequential(stages));
    this.numFeatures = width;
    this.registerModule('fc', options.numClasses > 0 ? new Linear(width, options.numClasses) : new Identity());
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
    // torchvision: N(0, 2 / fan-out) convolutions (fan-out = k·k·out, groups ignored),
    // N(0, 0.01) classifier; squeeze-excite biases keep PyTorch's default.
    for (const m of this.modules()) {
      if (m instanceof Conv2d) normal_(m.weight, 0, Math.sqrt(2 / (m.kernelSize[0] * m.kernelSize[1] * m.outChannels)));
      else if (m instanceof Linear) {
        normal_(m.weight, 0, 0.01);
        zeros_(m.bias!);
      }
    }
  }

  forwardFeatures(x: Tensor): Tensor {
    return scope(() => this.trunk_output.forward(this.stem.forward(x)));
  }
}

/** torchvision's RegNet parameters (depth, w0, wa, wm, group width; SE 0.25 for Y). */
export const REGNETS: Record<string, RegNetParams> = {
  regnet_y_400mf: { depth: 16, w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, seRatio: 0.25 },
  regnet_y_800mf: { depth: 14, w0: 56, wa: 38.84, wm: 2.4, groupWidth: 16, seRatio: 0.25 },
  regnet_y_1_6gf: { depth: 27, w0: 48, wa: 20.71, wm: 2.65, groupWidth: 24, seRatio: 0.25 },
  regnet_y_3_2gf: { depth: 21, w0: 80, wa: 42.63, wm: 2.66, groupWidth: 24, seRatio: 0.25 },
  regnet_y_8gf: { depth: 17, w0: 192, wa: 76.82, wm: 2.19, groupWidth: 56, seRatio: 0.25 },
  regnet_y_16gf: { depth: 18, w0: 200, wa: 106.23, wm: 2.48, groupWidth: 112, seRatio: 0.25 },
  regnet_y_32gf: { depth: 20, w0: 232, wa: 115.89, wm: 2.53, groupWidth: 232, seRatio: 0.25 },
  regnet_y_128gf: { depth: 27, w0: 456, wa: 160.83, wm: 2.52, groupWidth: 264, seRatio: 0.25 },
  regnet_x_400mf: { depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16 },
  regnet_x_800mf: { depth: 16, w0: 56, wa: 35.73, wm: 2.28, groupWidth: 16 },
  regnet_x_1_6gf: { depth: 18, w0: 80, wa: 34.01, wm: 2.25, groupWidth: 24 },
  regnet_x_3_2gf: { depth: 25, w0: 88, wa: 26.31, wm: 2.25, groupWidth: 48 },
  regnet_x_8gf: { depth: 23, w0: 80, wa: 49.56, wm: 2.88, groupWidth: 120 },
  regnet_x_16gf: { depth: 22, w0: 216, wa: 55.59, wm: 2.1, groupWidth: 128 },
  regnet_x_32gf: { depth: 23, w0: 320, wa: 69.86, wm: 2.0, groupWidth: 168 },
};

export const regnetVariants: ModelVariant[] = Object.entries(REGNETS).map(([name, params]) => ({
  name,
  family: 'regnet',
  source: 'torchvision',
  inputSize: [3, 224, 224],
  build: (o) => new RegNet(params, o),
}));
