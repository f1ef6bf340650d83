/**
 * Convolutional Block Attention Module — Woo, Park, Lee & Kweon, "CBAM: Convolutional Block
 * Attention Module", ECCV 2018 (arXiv:1807.06521) — in timm's `CbamModule` form: channel
 * attention (average- and max-pooled descriptors through one shared 1x1-conv MLP, summed,
 * sigmoid) followed by spatial attention (channel-wise mean and max maps, a 7x7 conv + BN,
 * sigmoid).
 *
 * State-dict names are timm's: `channel.fc1.weight`, `channel.fc2.weight` (no biases by
 * default), `spatial.conv.conv.weight`, `spatial.conv.bn.*`.
 *
 * @example
 *   const cbam = new CbamModule(512);
 *   const y = cbam.forward(x);            // x [N, 512, H, W], same shape out
 */
import { aten } from '../../native/aten.js';
import { cat } from '../../tensor/join.js';
import { scope } from '../../tensor/scope.js';
import { wrap, type Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { Conv2d } from '../layers/conv2d.js';
import { ConvNormAct } from '../layers/conv-norm-act.js';
import { createActivation, type ActivationName } from '../layers/activations.js';
import { makeDivisible } from '../divisible.js';
import { globalAvgPool2d } from '../functional/pooling.js';

const amax = (x: Tensor, dims: number[]) => wrap(aten('amax').call(x.handle, dims, true));

/** Options of `CbamModule` (and its `ChannelAttn`), with timm's defaults. */
export interface CbamOptions {
  /** Channel-MLP reduction ratio (default 1/16). */
  rdRatio?: number;
  /** Channel-MLP width; overrides rdRatio. */
  rdChannels?: number;
  /** Round the MLP width to a multiple of this (default 1). */
  rdDivisor?: number;
  /** Kernel of the spatial-attention convolution (default 7). */
  spatialKernelSize?: number;
  /** Activation inside the channel MLP (default 'relu'). */
  act?: ActivationName;
  /** The gate of both attentions (default 'sigmoid'). */
  gate?: ActivationName;
  /** Biases in the channel MLP (default false). */
  mlpBias?: boolean;
}

/** CBAM's channel attention (timm `ChannelAttn`). */
export class ChannelAttn extends Module {
  /** The shared MLP's first 1x1 convolution, channels to the reduced width. */
  declare readonly fc1: Conv2d;
  /** The MLP's activation. */
  declare readonly act: Module;
  /** The MLP's second 1x1 convolution, back to the channels. */
  declare readonly fc2: Conv2d;
  /** The gate applied to the summed average- and max-pooled MLP outputs. */
  declare readonly gate: Module;

  constructor(channels: number, options: CbamOptions = {}) {
    super();
    const { rdRatio = 1 / 16, rdDivisor = 1, act = 'relu', gate = 'sigmoid', mlpBias = false } = options;
    const rd = options.rdChannels || makeDivisible(channels * rdRatio, rdDivisor, { roundLimit: 0 });
    this.registerModule('fc1', new Conv2d(channels, rd, 1, { bias: mlpBias }));
    this.registerModule('act', createActivation(act, { inplace: true }));
    this.registerModule('fc2', new Conv2d(rd, channels, 1, { bias: mlpBias }));
    this.registerModule('gate', createActivation(gate));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const mlp = (d: Tensor) => this.fc2.forward(this.act.forward(this.fc1.forward(d)));
      const attn = mlp(globalAvgPool2d(x)).add(mlp(amax(x, [2, 3])));
      return x.mul(this.gate.forward(attn));
    });
  }
}

/** CBAM's spatial attention (timm `SpatialAttn`). */
export class SpatialAttn extends Module {
  /** The k×k convolution + BatchNorm over the channel-wise mean and max maps (2 channels to 1). */
  declare readonly conv: ConvNormAct;
  /** The gate that turns the map into per-position scales. */
  declare readonly gate: Module;

  constructor(kernelSize = 7, options: { gate?: ActivationName } = {}) {
    super();
    this.registerModule('conv', new ConvNormAct(2, 1, kernelSize, { act: null }));
    this.registerModule('gate', createActivation(options.gate ?? 'sigmoid'));
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const maps = cat([x.mean(1, { keepdim: true }), amax(x, [1])], 1);
      return x.mul(this.gate.forward(this.conv.forward(maps)));
    });
  }
}

/**
 * The Convolutional Block Attention Module (timm's `CbamModule`): channel attention, then
 * spatial attention. Output shape = input shape.
 *
 * @example
 *   const cbam = new CbamModule(512);
 */
export class CbamModule extends Module {
  /** The channel attention, applied first. */
  declare readonly channel: ChannelAttn;
  /** The spatial attention, applied to the channel attention's output. */
  declare readonly spatial: SpatialAttn;

  constructor(channels: number, options: CbamOptions = {}) {
    super();
    this.registerModule('channel', new ChannelAttn(channels, options));
    this.registerModule('spatial', new SpatialAttn(options.spatialKernelSize ?? 7, { gate: options.gate }));
  }

  forward(x: Tensor): Tensor {
    return scope(() => this.spatial.forward(this.channel.forward(x)));
  }
}
