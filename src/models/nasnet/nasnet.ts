/**
 * NASNet-A Large (Zoph et al., "Learning Transferable Architectures for Scalable Image
 * Recognition", CVPR 2018) with timm's architecture and state-dict names (`nasnetalarge`,
 * "6 @ 4032"): `conv0` (3x3/2, BN, no ReLU), two stem cells, then three groups of six cells
 * (a first/normal cell stack) separated by two reduction cells, a final ReLU, global average
 * pooling, `head_drop` and `last_linear`. 88.8M parameters; designed for 331x331 input.
 * timm's 'SAME' padding (see same-padding.ts) is reproduced, so timm's weights load and agree.
 *
 * `stemSize` and `numFeatures` scale the network as timm's constructor does (numFeatures / 24
 * channels per cell unit); the registry's `nasnetalarge` is 96 and 4032.
 *
 * @example
 *   const net = createModel('nasnetalarge', { numClasses: 200 });
 *   const tiny = new NASNetALarge({ numClasses: 10 }, { stemSize: 32, numFeatures: 384 });
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { relu } from '../../nn/functional/activation.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Identity } from '../../nn/layers/identity.js';
import { ConvNormAct } from '../../nn/layers/conv-norm-act.js';
import { ImageClassifier } from '../classifier.js';
import type { ModelOptions, ModelVariant } from '../variant.js';
import { CellStem0, CellStem1, FirstCell, NormalCell, ReductionCell, type Cell } from './cells.js';
import { INCEPTION_MEAN, INCEPTION_STD } from '../preprocess-config.js';

/** The size of a NASNet-A: stem width and final feature width (the registry's nasnetalarge is 96 and 4032). */
export interface NasNetConfig {
  /** Channels of conv0 (default 96). */
  stemSize?: number;
  /** Channels of the final feature map; a multiple of 24 (default 4032). */
  numFeatures?: number;
}

// The cell stack after the stems: [name, kind, in_left, out_left, in_right, out_right] in
// units of numFeatures / 24, as timm's NASNetALarge.__init__.
type Kind = 'first' | 'normal' | 'reduction';
const CELLS: [string, Kind, number, number, number, number][] = [
  ['cell_0', 'first', 1, 0.5, 2, 1],
  ['cell_1', 'normal', 2, 1, 6, 1],
  ...[2, 3, 4, 5].map((i): [string, Kind, number, number, number, number] => [`cell_${i}`, 'normal', 6, 1, 6, 1]),
  ['reduction_cell_0', 'reduction', 6, 2, 6, 2],
  ['cell_6', 'first', 6, 1, 8, 2],
  ['cell_7', 'normal', 8, 2, 12, 2],
  ...[8, 9, 10, 11].map((i): [string, Kind, number, number, number, number] => [`cell_${i}`, 'normal', 12, 2, 12, 2]),
  ['reduction_cell_1', 'reduction', 12, 4, 12, 4],
  ['cell_12', 'first', 12, 2, 16, 4],
  ['cell_13', 'normal', 16, 4, 24, 4],
  ...[14, 15, 16, 17].map((i): [string, Kind, number, number, number, number] => [`cell_${i}`, 'normal', 24, 4, 24, 4]),
];

const CELL_CLASS = { first: FirstCell, normal: NormalCell, reduction: ReductionCell } as const;

/**
 * NASNet-A Large with timm's architecture and state-dict names (`nasnetalarge`), for 331x331 input.
 *
 * @example
 *   const net = createModel('nasnetalarge', { numClasses: 200 });
 */
export class NASNetALarge extends ImageClassifier {
  /** The first convolution: 3x3, stride 2, BatchNorm, no activation. */
  declare readonly conv0: ConvNormAct;
  /** The first stem cell (a reduction). */
  declare readonly cell_stem_0: CellStem0;
  /** The second stem cell (a reduction). */
  declare readonly cell_stem_1: CellStem1;
  /** Dropout before the classifier. */
  declare readonly head_drop: Dropout;
  /** The final Linear (an `Identity` when made with `numClasses: 0`). */
  declare readonly last_linear: Linear | Identity;
  readonly numFeatures: number;
  readonly classifierPath = 'last_linear';

  constructor(options: ModelOptions, config: NasNetConfig = {}) {
    super(options.numClasses);
    const { stemSize = 96, numFeatures = 4032 } = config;
    if (numFeatures % 24 || (numFeatures / 24) % 4) throw new RangeError(`NASNetALarge: numFeatures must be a multiple of 96, got ${numFeatures}`);
    this.defaultInputSize = [3, 331, 331];
    this.numFeatures = numFeatures;
    const c = numFeatures / 24;
    this.registerModule('conv0', new ConvNormAct(3, stemSize, 3, { stride: 2, padding: 0, act: null, bn: { eps: 1e-3 } }));
    this.registerModule('cell_stem_0', new CellStem0(stemSize, c / 4));
    this.registerModule('cell_stem_1', new CellStem1(stemSize, c / 2));
    for (const [name, kind, inL, outL, inR, outR] of CELLS) this.registerModule(name, new CELL_CLASS[kind](inL * c, outL * c, inR * c, outR * c));
    this.registerModule('head_drop', new Dropout(options.dropRate ?? 0));
    this.registerModule('last_linear', options.numClasses > 0 ? new Linear(numFeatures, options.numClasses) : new Identity());
  }

  /** The final ReLU'd map [N, numFeatures, h, w]; each cell reads the two outputs before it. */
  forwardFeatures(x: Tensor): Tensor {
    return scope(() => {
      const conv0 = this.conv0.forward(x);
      let prev = this.cell_stem_0.forward(conv0);
      let cur = this.cell_stem_1.forwardPair(prev, conv0);
      conv0.dispose();
      for (const [name] of CELLS) {
        const next = (this.getSubmodule(name) as Cell).forwardPair(cur, prev);
        prev.dispose(); // only the last two outputs are ever needed
        prev = cur;
        cur = next;
      }
      return relu(cur, { inplace: true });
    });
  }

  protected override headDropout(): Dropout {
    return this.head_drop;
  }
}

export const nasnetVariants: ModelVariant[] = [
  {
    name: 'nasnetalarge',
    family: 'nasnet',
    source: 'timm',
    inputSize: [3, 331, 331],
    preprocess: { mean: [...INCEPTION_MEAN], std: [...INCEPTION_STD] },
    build: (o) => new NASNetALarge(o),
  },
];
