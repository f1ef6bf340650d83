/**
 * The blocks of Inception v3 (Szegedy et al., "Rethinking the Inception Architecture for
 * Computer Vision", CVPR 2016) with torchvision's names: A (35x35, Figure 5), B (grid
 * reduction 35→17), C (17x17 with factorised 7x7, Figure 6), D (reduction 17→8), E (8x8 with
 * expanded 1x3/3x1 filter banks, Figure 7), and the auxiliary classifier.
 *
 * @example
 *   const a = new InceptionA(192, 32);   // 192 → 64 + 64 + 96 + 32 = 256 channels
 *   const y = a.forward(x);
 */
import { scope } from '../../tensor/scope.js';
import { cat } from '../../tensor/join.js';
import type { Tensor } from '../../tensor/tensor.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../nn/functional/pooling.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { Identity } from '../../nn/layers/identity.js';
import { BasicConv2d } from './basic-conv2d.js';

/** Applies `convs` one after another to `x` (a branch), freeing intermediates. */
function chain(x: Tensor, ...convs: Module[]): Tensor {
  let h = x;
  for (const c of convs) {
    const next = c.forward(h);
    if (h !== x) h.dispose();
    h = next;
  }
  return h;
}

// The pooling branch of the A, C and E blocks: 3x3 average (padded zeros counted, as torchvision).
const pool3x3 = (x: Tensor) => avgPool2d(x, 3, { stride: 1, padding: 1 });

/** 35x35 block: 1x1 | 1x1→5x5 | 1x1→3x3→3x3 | avgpool→1x1 (`poolFeatures`). */
export class InceptionA extends Module {
  declare readonly branch1x1: BasicConv2d;
  declare readonly branch5x5_1: BasicConv2d;
  declare readonly branch5x5_2: BasicConv2d;
  declare readonly branch3x3dbl_1: BasicConv2d;
  declare readonly branch3x3dbl_2: BasicConv2d;
  declare readonly branch3x3dbl_3: BasicConv2d;
  declare readonly branch_pool: BasicConv2d;

  constructor(inChannels: number, poolFeatures: number) {
    super();
    this.registerModule('branch1x1', new BasicConv2d(inChannels, 64, 1));
    this.registerModule('branch5x5_1', new BasicConv2d(inChannels, 48, 1));
    this.registerModule('branch5x5_2', new BasicConv2d(48, 64, 5, { padding: 2 }));
    this.registerModule('branch3x3dbl_1', new BasicConv2d(inChannels, 64, 1));
    this.registerModule('branch3x3dbl_2', new BasicConv2d(64, 96, 3, { padding: 1 }));
    this.registerModule('branch3x3dbl_3', new BasicConv2d(96, 96, 3, { padding: 1 }));
    this.registerModule('branch_pool', new BasicConv2d(inChannels, poolFeatures, 1));
  }

  forward(x: Tensor): Tensor {
    return scope(() =>
      cat(
        [
          this.branch1x1.forward(x),
          chain(x, this.branch5x5_1, this.branch5x5_2),
          chain(x, this.branch3x3dbl_1, this.branch3x3dbl_2, this.branch3x3dbl_3),
          this.branch_pool.forward(pool3x3(x)),
        ],
        1,
      ),
    );
  }
}

/** Grid reduction 35→17: 3x3/2 | 1x1→3x3→3x3/2 | maxpool/2. */
export class InceptionB extends Module {
  declare readonly branch3x3: BasicConv2d;
  declare readonly branch3x3dbl_1: BasicConv2d;
  declare readonly branch3x3dbl_2: BasicConv2d;
  declare readonly branch3x3dbl_3: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.registerModule('branch3x3', new BasicConv2d(inChannels, 384, 3, { stride: 2 }));
    this.registerModule('branch3x3dbl_1', new BasicConv2d(inChannels, 64, 1));
    this.registerModule('branch3x3dbl_2', new BasicConv2d(64, 96, 3, { padding: 1 }));
    this.registerModule('branch3x3dbl_3', new BasicConv2d(96, 96, 3, { stride: 2 }));
  }

  forward(x: Tensor): Tensor {
    return scope(() =>
      cat([this.branch3x3.forward(x), chain(x, this.branch3x3dbl_1, this.branch3x3dbl_2, this.branch3x3dbl_3), maxPool2d(x, 3, { stride: 2 })], 1),
    );
  }
}

/** 17x17 block with 7x7 convolutions factorised into 1x7 and 7x1 (`c7` channels inside). */
export class InceptionC extends Module {
  constructor(inChannels: number, c7: number) {
    super();
    const row = { padding: [0, 3] as const };
    const col = { padding: [3, 0] as const };
    this.registerModule('branch1x1', new BasicConv2d(inChannels, 192, 1));
    this.registerModule('branch7x7_1', new BasicConv2d(inChannels, c7, 1));
    this.registerModule('branch7x7_2', new BasicConv2d(c7, c7, [1, 7], row));
    this.registerModule('branch7x7_3', new BasicConv2d(c7, 192, [7, 1], col));
    this.registerModule('branch7x7dbl_1', new BasicConv2d(inChannels, c7, 1));
    this.registerModule('branch7x7dbl_2', new BasicConv2d(c7, c7, [7, 1], col));
    this.registerModule('branch7x7dbl_3', new BasicConv2d(c7, c7, [1, 7], row));
    this.registerModule('branch7x7dbl_4', new BasicConv2d(c7, c7, [7, 1], col));
    this.registerModule('branch7x7dbl_5', new BasicConv2d(c7, 192, [1, 7], row));
    this.registerModule('branch_pool', new BasicConv2d(inChannels, 192, 1));
  }

  forward(x: Tensor): Tensor {
    const m = (name: string) => this.getSubmodule(name);
    return scope(() =>
      cat(
        [
          m('branch1x1').forward(x),
          chain(x, m('branch7x7_1'), m('branch7x7_2'), m('branch7x7_3')),
          chain(x, m('branch7x7dbl_1'), m('branch7x7dbl_2'), m('branch7x7dbl_3'), m('branch7x7dbl_4'), m('branch7x7dbl_5')),
          m('branch_pool').forward(pool3x3(x)),
        ],
        1,
      ),
    );
  }
}

/** Grid reduction 17→8: 1x1→3x3/2 | 1x1→1x7→7x1→3x3/2 | maxpool/2. */
export class InceptionD extends Module {
  constructor(inChannels: number) {
    super();
    this.registerModule('branch3x3_1', new BasicConv2d(inChannels, 192, 1));
    this.registerModule('branch3x3_2', new BasicConv2d(192, 320, 3, { stride: 2 }));
    this.registerModule('branch7x7x3_1', new BasicConv2d(inChannels, 192, 1));
    this.registerModule('branch7x7x3_2', new BasicConv2d(192, 192, [1, 7], { padding: [0, 3] }));
    this.registerModule('branch7x7x3_3', new BasicConv2d(192, 192, [7, 1], { padding: [3, 0] }));
    this.registerModule('branch7x7x3_4', new BasicConv2d(192, 192, 3, { stride: 2 }));
  }

  forward(x: Tensor): Tensor {
    const m = (name: string) => this.getSubmodule(name);
    return scope(() =>
      cat(
        [
          chain(x, m('branch3x3_1'), m('branch3x3_2')),
          chain(x, m('branch7x7x3_1'), m('branch7x7x3_2'), m('branch7x7x3_3'), m('branch7x7x3_4')),
          maxPool2d(x, 3, { stride: 2 }),
        ],
        1,
      ),
    );
  }
}

/** 8x8 block whose 3x3 branches end in parallel 1x3 and 3x1 convolutions (concatenated). */
export class InceptionE extends Module {
  constructor(inChannels: number) {
    super();
    this.registerModule('branch1x1', new BasicConv2d(inChannels, 320, 1));
    this.registerModule('branch3x3_1', new BasicConv2d(inChannels, 384, 1));
    this.registerModule('branch3x3_2a', new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] }));
    this.registerModule('branch3x3_2b', new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] }));
    this.registerModule('branch3x3dbl_1', new BasicConv2d(inChannels, 448, 1));
    this.registerModule('branch3x3dbl_2', new BasicConv2d(448, 384, 3, { padding: 1 }));
    this.registerModule('branch3x3dbl_3a', new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] }));
    this.registerModule('branch3x3dbl_3b', new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] }));
    this.registerModule('branch_pool', new BasicConv2d(inChannels, 192, 1));
  }

  forward(x: Tensor): Tensor {
    const m = (name: string) => this.getSubmodule(name);
    return scope(() => {
      const b3 = m('branch3x3_1').forward(x);
      const d3 = chain(x, m('branch3x3dbl_1'), m('branch3x3dbl_2'));
      return cat(
        [
          m('branch1x1').forward(x),
          cat([m('branch3x3_2a').forward(b3), m('branch3x3_2b').forward(b3)], 1),
          cat([m('branch3x3dbl_3a').forward(d3), m('branch3x3dbl_3b').forward(d3)], 1),
          m('branch_pool').forward(pool3x3(x)),
        ],
        1,
      );
    });
  }
}

/** The auxiliary classifier on the 17x17 grid: avgpool 5/3 → 1x1 → 5x5 → global pool → fc. */
export class InceptionAux extends Module {
  /** The 1x1 convolution to 128 channels after the pooling. */
  declare readonly conv0: BasicConv2d;
  /** The 5x5 convolution to 768 channels. */
  declare readonly conv1: BasicConv2d;
  /** The auxiliary logits (an `Identity` for `numClasses` 0). */
  declare readonly fc: Linear | Identity;

  constructor(inChannels: number, numClasses: number) {
    super();
    this.registerModule('conv0', new BasicConv2d(inChannels, 128, 1));
    this.registerModule('conv1', new BasicConv2d(128, 768, 5));
    this.registerModule('fc', numClasses > 0 ? new Linear(768, numClasses) : new Identity());
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const h = chain(avgPool2d(x, 5, { stride: 3 }), this.conv0, this.conv1);
      return this.fc.forward(adaptiveAvgPool2d(h, 1).flatten(1));
    });
  }
}
