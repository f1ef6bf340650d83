/**
 * Gather-Excite attention — Hu, Shen, Albanie, Sun & Vedaldi, "Gather-Excite: Exploiting
 * Feature Context in Convolutional Neural Networks", NeurIPS 2018 (arXiv:1810.12348) — in
 * timm's `GatherExcite` form.
 *
 * The gather step summarises context over an `extent`: 0 is global (the whole map), e > 0
 * pools e×e neighbourhoods. It is parameter-free (average pooling; GE-θ⁻) or, with
 * `extraParams`, strided depthwise convolutions + BatchNorm (GE-θ). An optional 1x1-conv MLP
 * (`mlp.fc1`, `mlp.fc2`; GE-θ⁺) follows; the gathered map is resized back to the input
 * (nearest) and gates it through a sigmoid. State-dict names are timm's
 * (`gather.conv1.weight`, `gather.norm1.*`, `mlp.fc1.*`, `mlp.fc2.*`).
 *
 * @example
 *   const ge = new GatherExcite(256, { extent: 8 });                       // parameter-free gather
 *   const geTheta = new GatherExcite(256, { extent: 0, extraParams: true, featSize: 14 });
 *   const y = ge.forward(x);
 */
import { aten } from '../../native/aten.js';
import { scope } from '../../tensor/scope.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../functional/pooling.js';
import { interpolate } from '../functional/interpolate.js';
import { Module } from '../module.js';
import { Conv2d } from '../layers/conv2d.js';
import { BatchNorm2d } from '../layers/batch-norm.js';
import { Identity } from '../layers/identity.js';
import { Sequential } from '../layers/sequential.js';
import { createActivation, type ActivationName } from '../layers/activations.js';
import { timmPadding } from '../layers/conv-norm-act.js';
import { makeDivisible } from '../divisible.js';
import { ConvMlp } from './conv-mlp.js';

/** Options of `GatherExcite`, with timm's defaults. */
export interface GatherExciteOptions {
  /** Spatial size of the input; needed for a global (extent 0) gather with parameters. */
  featSize?: number;
  /** Gather with depthwise convolutions (+ BatchNorm) instead of pooling (default false). */
  extraParams?: boolean;
  /** 0 (default) gathers globally; an even e > 0 gathers e×e neighbourhoods. */
  extent?: number;
  /** Excite through the 1x1-conv MLP (default true). */
  useMlp?: boolean;
  /** MLP reduction ratio (default 1/16). */
  rdRatio?: number;
  /** MLP width; overrides rdRatio. */
  rdChannels?: number;
  /** Round the MLP width to a multiple of this (default 1). */
  rdDivisor?: number;
  /** Average of mean and max pooling in the parameter-free gather (default false). */
  addMaxpool?: boolean;
  /** MLP and between-conv activation (default 'relu'). */
  act?: ActivationName;
  /** BatchNorm after each gather conv (default true). */
  norm?: boolean;
  /** The gate (default 'sigmoid'). */
  gate?: ActivationName;
}

/**
 * Gather-Excite attention (timm's `GatherExcite`): context gathered over an extent (global or
 * e×e neighbourhoods, by pooling or by depthwise convolutions), passed through an optional
 * MLP, resized back and used as a sigmoid gate. Output shape = input shape.
 *
 * @example
 *   const ge = new GatherExcite(256, { extent: 8 });
 */
export class GatherExcite extends Module {
  /** The depthwise convolutions (and BatchNorms) of a gather with `extraParams`; undefined for the parameter-free gather. */
  declare readonly gather: Sequential | undefined;
  /** The 1x1-conv MLP after the gather (an `Identity` with `useMlp: false`). */
  declare readonly mlp: Module;
  /** The gate (sigmoid by default). */
  declare readonly gate: Module;
  /** 0 for a global gather, else the neighbourhood side e. */
  readonly extent: number;
  /** Whether the parameter-free gather averages mean and max pooling. */
  readonly addMaxpool: boolean;
  /** Pooling kernel and stride of the parameter-free local gather. */
  readonly #kernel: number;
  readonly #stride: number;

  constructor(channels: number, options: GatherExciteOptions = {}) {
    super();
    const { extent = 0, extraParams = false, useMlp = true, rdRatio = 1 / 16, rdDivisor = 1, act = 'relu', norm = true, gate = 'sigmoid' } = options;
    if (extent < 0 || (extent > 0 && extent % 2)) throw new RangeError(`GatherExcite: extent must be 0 or even, got ${extent}`);
    this.extent = extent;
    this.addMaxpool = options.addMaxpool ?? false;
    this.#kernel = extent * 2 - 1;
    this.#stride = extent;
    if (extraParams) {
      const layers: [string, Module][] = [];
      const depthwise = (k: number, stride: number) =>
        new Conv2d(channels, channels, k, { stride, padding: timmPadding(k, stride), groups: channels, bias: false });
      if (extent === 0) {
        if (!options.featSize) throw new TypeError('GatherExcite: a global gather with parameters needs featSize');
        // timm's "global" conv keeps 'same'-style padding, so it mixes a featSize window
        // around each position rather than collapsing to 1x1.
        layers.push(['conv1', depthwise(options.featSize, 1)]);
        if (norm) layers.push(['norm1', new BatchNorm2d(channels)]);
      } else {
        const numConv = Math.round(Math.log2(extent));
        for (let i = 1; i <= numConv; i++) {
          layers.push([`conv${i}`, depthwise(3, 2)]);
          if (norm) layers.push([`norm${i}`, new BatchNorm2d(channels)]);
          if (i !== numConv) layers.push([`act${i}`, createActivation(act, { inplace: true })]);
        }
      }
      this.registerModule('gather', new Sequential(layers));
    }
    const rd = options.rdChannels || makeDivisible(channels * rdRatio, rdDivisor, { roundLimit: 0 });
    this.registerModule('mlp', useMlp ? new ConvMlp(channels, rd, { act }) : new Identity());
    this.registerModule('gate', createActivation(gate));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const [h, w] = x.shape.slice(-2) as [number, number];
      let g: Tensor;
      if (this.gather) {
        g = this.gather.forward(x);
      } else if (this.extent === 0) {
        g = globalAvgPool2d(x);
        if (this.addMaxpool) g = g.mul(0.5).add(wrap(aten('amax').call(x.handle, [2, 3], true)), 0.5);
      } else {
        const k = this.#kernel;
        const pad = Math.floor(k / 2);
        g = avgPool2d(x, k, { stride: this.#stride, padding: pad, countIncludePad: false });
        if (this.addMaxpool) g = g.mul(0.5).add(maxPool2d(x, k, { stride: this.#stride, padding: pad }), 0.5);
      }
      g = this.mlp.forward(g);
      const [gh, gw] = g.shape.slice(-2) as [number, number];
      if (gh !== 1 || gw !== 1) g = interpolate(g, { size: [h, w] });
      return x.mul(this.gate.forward(g));
    });
  }
}
