/**
 * The blocks of Inception-v4 (Szegedy et al., "Inception-v4, Inception-ResNet and the Impact
 * of Residual Connections on Learning", AAAI 2017) with timm's state-dict names
 * (`branch1.2.conv.weight`): the stem's Mixed3a/4a/5a, Inception-A/B/C (Figures 4–6) and the
 * reductions A/B (Figures 7–8). Every convolution is a `BasicConv2d` (timm's ConvNormAct:
 * no bias, BatchNorm eps 1e-3, ReLU) with no padding unless given.
 *
 * @example
 *   const a = new InceptionV4A();   // 384 → 4 × 96 channels at 35x35
 */
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Size2 } from '../../nn/functional/args.js';
import { Module } from '../../nn/module.js';
import { AvgPool2d, MaxPool2d } from '../../nn/layers/pooling.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { BasicConv2d } from './basic-conv2d.js';

const conv = (cin: number, cout: number, k: Size2, stride = 1, padding: Size2 = 0) => new BasicConv2d(cin, cout, k, { stride, padding });
const row = (cin: number, cout: number, k: number) => conv(cin, cout, [1, k], 1, [0, (k - 1) / 2]);
const col = (cin: number, cout: number, k: number) => conv(cin, cout, [k, 1], 1, [(k - 1) / 2, 0]);
// The pooling branch of A/B/C: 3x3 average over valid pixels only (count_include_pad=False).
const avgBranch = (cin: number, cout: number) => new Sequential([new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }), conv(cin, cout, 1)]);

/** Runs each named branch on `x` and concatenates the results along channels. */
abstract class Branches extends Module {
  forward(x: Tensor): Tensor {
    return scope(() =>
      cat(
        this.children().map((b) => b.forward(x)),
        1,
      ),
    );
  }
}

/** Stem: maxpool 3x3/2 ‖ conv 3x3/2 (64 → 160). */
export class Mixed3a extends Branches {
  constructor() {
    super();
    this.registerModule('maxpool', new MaxPool2d(3, { stride: 2 }));
    this.registerModule('conv', conv(64, 96, 3, 2));
  }
}

/** Stem: 1x1→3x3 ‖ 1x1→1x7→7x1→3x3 (160 → 192). */
export class Mixed4a extends Branches {
  constructor() {
    super();
    this.registerModule('branch0', new Sequential([conv(160, 64, 1), conv(64, 96, 3)]));
    this.registerModule('branch1', new Sequential([conv(160, 64, 1), row(64, 64, 7), col(64, 64, 7), conv(64, 96, 3)]));
  }
}

/** Stem: conv 3x3/2 ‖ maxpool 3x3/2 (192 → 384). */
export class Mixed5a extends Branches {
  constructor() {
    super();
    this.registerModule('conv', conv(192, 192, 3, 2));
    this.registerModule('maxpool', new MaxPool2d(3, { stride: 2 }));
  }
}

/** Inception-A, 35x35: 1x1 ‖ 1x1→3x3 ‖ 1x1→3x3→3x3 ‖ avgpool→1x1 (384 → 384). */
export class InceptionV4A extends Branches {
  constructor() {
    super();
    this.registerModule('branch0', conv(384, 96, 1));
    this.registerModule('branch1', new Sequential([conv(384, 64, 1), conv(64, 96, 3, 1, 1)]));
    this.registerModule('branch2', new Sequential([conv(384, 64, 1), conv(64, 96, 3, 1, 1), conv(96, 96, 3, 1, 1)]));
    this.registerModule('branch3', avgBranch(384, 96));
  }
}

/** Reduction-A, 35→17: 3x3/2 ‖ 1x1→3x3→3x3/2 ‖ maxpool/2 (384 → 1024). */
export class ReductionA extends Branches {
  constructor() {
    super();
    this.registerModule('branch0', conv(384, 384, 3, 2));
    this.registerModule('branch1', new Sequential([conv(384, 192, 1), conv(192, 224, 3, 1, 1), conv(224, 256, 3, 2)]));
    this.registerModule('branch2', new MaxPool2d(3, { stride: 2 }));
  }
}

/** Inception-B, 17x17, with 7x7 factorised into 1x7 and 7x1 (1024 → 1024). */
export class InceptionV4B extends Branches {
  constructor() {
    super();
    this.registerModule('branch0', conv(1024, 384, 1));
    this.registerModule('branch1', new Sequential([conv(1024, 192, 1), row(192, 224, 7), col(224, 256, 7)]));
    this.registerModule('branch2', new Sequential([conv(1024, 192, 1), col(192, 192, 7), row(192, 224, 7), col(224, 224, 7), row(224, 256, 7)]));
    this.registerModule('branch3', avgBranch(1024, 128));
  }
}

/** Reduction-B, 17→8: 1x1→3x3/2 ‖ 1x1→1x7→7x1→3x3/2 ‖ maxpool/2 (1024 → 1536). */
export class ReductionB extends Branches {
  constructor() {
    super();
    this.registerModule('branch0', new Sequential([conv(1024, 192, 1), conv(192, 192, 3, 2)]));
    this.registerModule('branch1', new Sequential([conv(1024, 256, 1), row(256, 256, 7), col(256, 320, 7), conv(320, 320, 3, 2)]));
    this.registerModule('branch2', new MaxPool2d(3, { stride: 2 }));
  }
}

/** Inception-C, 8x8, whose branches end in parallel 1x3 and 3x1 convolutions (1536 → 1536). */
export class InceptionV4C extends Module {
  constructor() {
    super();
    this.registerModule('branch0', conv(1536, 256, 1));
    this.registerModule('branch1_0', conv(1536, 384, 1));
    this.registerModule('branch1_1a', row(384, 256, 3));
    this.registerModule('branch1_1b', col(384, 256, 3));
    this.registerModule('branch2_0', conv(1536, 384, 1));
    this.registerModule('branch2_1', col(384, 448, 3));
    this.registerModule('branch2_2', row(448, 512, 3));
    this.registerModule('branch2_3a', row(512, 256, 3));
    this.registerModule('branch2_3b', col(512, 256, 3));
    this.registerModule('branch3', avgBranch(1536, 256));
  }

  forward(x: Tensor): Tensor {
    const m = (name: string) => this.getSubmodule(name);
    return scope(() => {
      const x1 = m('branch1_0').forward(x);
      const x2 = m('branch2_2').forward(m('branch2_1').forward(m('branch2_0').forward(x)));
      return cat(
        [
          m('branch0').forward(x),
          m('branch1_1a').forward(x1),
          m('branch1_1b').forward(x1),
          m('branch2_3a').forward(x2),
          m('branch2_3b').forward(x2),
          m('branch3').forward(x),
        ],
        1,
      );
    });
  }
}
