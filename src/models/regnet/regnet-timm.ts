/**
 * RegNetX / RegNetY with timm's architecture details and state-dict names (timm
 * `regnet.py`): `stem.conv`, `stem.bn`, stages `s1`…`s4` of blocks `b1`, `b2`, … with
 * `conv1.conv`/`conv1.bn` (1x1), `conv2` (grouped 3x3), `se.fc1`/`se.fc2`, `conv3` (1x1),
 * `downsample.conv`/`downsample.bn`, and `head.fc`. The widths come from the same
 * parametrisation as torchvision's but are made group-compatible as timm does, and the
 * initialisation is timm's (fan-out / groups, zero-initialised last BatchNorm per block).
 *
 * @example
 *   const model = new TimmRegNet(TIMM_REGNETS.regnety_160, { numClasses: 200 });
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Sequential, runChain } from '../../nn/layers/sequential.js';
import { ConvNormAct } from '../../nn/layers/conv-norm-act.js';
import { SqueezeExcite } from '../../nn/attention/squeeze-excite.js';
import { roundHalfEven } from '../../nn/divisible.js';
import { normal_, zeros_ } from '../../nn/init.js';
import { ImageClassifier } from '../classifier.js';
import { ClassifierHead } from '../classifier-head.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import { timmRegNetStages, type RegNetParams } from './widths.js';

/** timm's RegNet `Bottleneck`: SE after the grouped conv, shortcut named `downsample`. */
export class TimmRegNetBottleneck extends Module {
  /** 1x1 convolution + BatchNorm + ReLU into the bottleneck width. */
  declare readonly conv1: ConvNormAct;
  /** Grouped 3x3 convolution + BatchNorm + ReLU (carries the stride). */
  declare readonly conv2: ConvNormAct;
  /** Squeeze-excite (Y models); undefined in X models. */
  declare readonly se: SqueezeExcite | undefined;
  /** 1x1 convolution + BatchNorm out to the stage width (no activation). */
  declare readonly conv3: ConvNormAct;
  /** The ReLU after the addition. */
  declare readonly act3: ReLU;
  /** The shortcut projection where the stride or width changes; undefined otherwise. */
  declare readonly downsample: ConvNormAct | undefined;

  constructor(inChannels: number, outChannels: number, stride: number, groupSize: number, bottleRatio: number, seRatio: number | undefined) {
    super();
    const mid = roundHalfEven(outChannels * bottleRatio);
    this.registerModule('conv1', new ConvNormAct(inChannels, mid, 1));
    this.registerModule('conv2', new ConvNormAct(mid, mid, 3, { stride, groups: Math.floor(mid / groupSize) }));
    if (seRatio) this.registerModule('se', new SqueezeExcite(mid, { rdChannels: roundHalfEven(inChannels * seRatio) }));
    this.registerModule('conv3', new ConvNormAct(mid, outChannels, 1, { act: null }));
    this.registerModule('act3', new ReLU({ inplace: true }));
    if (inChannels !== outChannels || stride !== 1) this.registerModule('downsample', new ConvNormAct(inChannels, outChannels, 1, { stride, act: null }));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      // runChain frees each intermediate once the next layer has read it.
      const h = runChain(this.se ? [this.conv1, this.conv2, this.se, this.conv3] : [this.conv1, this.conv2, this.conv3], x);
      return this.act3.forward(h.add_(this.downsample ? this.downsample.forward(x) : x));
    });
  }
}

/**
 * RegNetX / RegNetY with timm's architecture details and state-dict names.
 *
 * @example
 *   const model = new TimmRegNet(TIMM_REGNETS.regnety_160, { numClasses: 200 });
 */
export class TimmRegNet extends ImageClassifier {
  /** The 3x3 stride-2 convolution + BatchNorm + ReLU. */
  declare readonly stem: ConvNormAct;
  /** The classifier head (`head.fc`). */
  declare readonly head: ClassifierHead;
  readonly numFeatures: number;
  readonly classifierPath = 'head.fc';
  /** How many stages (`s1`, `s2`, ...) the network has. */
  readonly numStages: number;

  constructor(params: RegNetParams, options: ModelOptions, zeroInitLast = true) {
    super(options.numClasses);
    this.registerModule('stem', new ConvNormAct(3, 32, 3, { stride: 2 }));
    let width = 32;
    const stages = timmRegNetStages(params);
    stages.forEach((s, i) => {
      const blocks: [string, Module][] = [];
      for (let j = 0; j < s.depth; j++) {
        blocks.push([
          `b${j + 1}`,
          new TimmRegNetBottleneck(j === 0 ? width : s.width, s.width, j === 0 ? 2 : 1, s.groupWidth, params.bottleneckRatio ?? 1, params.seRatio),
        ]);
      }
      this.registerModule(`s${i + 1}`, new Sequential(blocks));
      width = s.width;
    });
    this.numStages = stages.length;
    this.numFeatures = width;
    this.registerModule('head', new ClassifierHead(width, options.numClasses));
    if (options.dropRate !== undefined) this.setDropRate(options.dropRate);
    for (const m of this.modules()) {
      if (m instanceof Conv2d) {
        normal_(m.weight, 0, Math.sqrt(2 / Math.floor((m.kernelSize[0] * m.kernelSize[1] * m.outChannels) / m.groups)));
        if (m.bias) zeros_(m.bias);
      } else if (m instanceof Linear) {
        normal_(m.weight, 0, 0.01);
        zeros_(m.bias!);
      } else if (zeroInitLast && m instanceof TimmRegNetBottleneck) {
        zeros_(m.conv3.bn.weight!);
      }
    }
  }

  forwardFeatures(x: Tensor): Tensor {
    return scope(() => runChain([this.stem, ...Array.from({ length: this.numStages }, (_, i) => this.getSubmodule(`s${i + 1}`))], x));
  }
}

/** timm's RegNet configurations (regnet.py `model_cfgs`): the paper's X and Y models. */
export const TIMM_REGNETS: Record<string, RegNetParams> = {
  regnetx_002: { w0: 24, wa: 36.44, wm: 2.49, groupWidth: 8, depth: 13 },
  regnetx_004: { w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16, depth: 22 },
  regnetx_006: { w0: 48, wa: 36.97, wm: 2.24, groupWidth: 24, depth: 16 },
  regnetx_008: { w0: 56, wa: 35.73, wm: 2.28, groupWidth: 16, depth: 16 },
  regnetx_016: { w0: 80, wa: 34.01, wm: 2.25, groupWidth: 24, depth: 18 },
  regnetx_032: { w0: 88, wa: 26.31, wm: 2.25, groupWidth: 48, depth: 25 },
  regnetx_040: { w0: 96, wa: 38.65, wm: 2.43, groupWidth: 40, depth: 23 },
  regnetx_064: { w0: 184, wa: 60.83, wm: 2.07, groupWidth: 56, depth: 17 },
  regnetx_080: { w0: 80, wa: 49.56, wm: 2.88, groupWidth: 120, depth: 23 },
  regnetx_120: { w0: 168, wa: 73.36, wm: 2.37, groupWidth: 112, depth: 19 },
  regnetx_160: { w0: 216, wa: 55.59, wm: 2.1, groupWidth: 128, depth: 22 },
  regnetx_320: { w0: 320, wa: 69.86, wm: 2.0, groupWidth: 168, depth: 23 },
  regnety_002: { w0: 24, wa: 36.44, wm: 2.49, groupWidth: 8, depth: 13, seRatio: 0.25 },
  regnety_004: { w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, depth: 16, seRatio: 0.25 },
  regnety_006: { w0: 48, wa: 32.54, wm: 2.32, groupWidth: 16, depth: 15, seRatio: 0.25 },
  regnety_008: { w0: 56, wa: 38.84, wm: 2.4, groupWidth: 16, depth: 14, seRatio: 0.25 },
  regnety_016: { w0: 48, wa: 20.71, wm: 2.65, groupWidth: 24, depth: 27, seRatio: 0.25 },
  regnety_032: { w0: 80, wa: 42.63, wm: 2.66, groupWidth: 24, depth: 21, seRatio: 0.25 },
  regnety_040: { w0: 96, wa: 31.41, wm: 2.24, groupWidth: 64, depth: 22, seRatio: 0.25 },
  regnety_064: { w0: 112, wa: 33.22, wm: 2.27, groupWidth: 72, depth: 25, seRatio: 0.25 },
  regnety_080: { w0: 192, wa: 76.82, wm: 2.19, groupWidth: 56, depth: 17, seRatio: 0.25 },
  regnety_120: { w0: 168, wa: 73.36, wm: 2.37, groupWidth: 112, depth: 19, seRatio: 0.25 },
  regnety_160: { w0: 200, wa: 106.23, wm: 2.48, groupWidth: 112, depth: 18, seRatio: 0.25 },
  regnety_320: { w0: 232, wa: 115.89, wm: 2.53, groupWidth: 232, depth: 20, seRatio: 0.25 },
  regnety_640: { w0: 352, wa: 147.48, wm: 2.4, groupWidth: 328, depth: 20, seRatio: 0.25 },
  regnety_1280: { w0: 456, wa: 160.83, wm: 2.52, groupWidth: 264, depth: 27, seRatio: 0.25 },
};

export const timmRegnetVariants: ModelVariant[] = Object.entries(TIMM_REGNETS).map(([name, params]) => ({
  name,
  family: 'regnet',
  source: 'timm',
  inputSize: [3, 224, 224],
  build: (o) => new TimmRegNet(params, o),
}));
