/**
 * Attention modules for convolutional networks, each with timm's state-dict names so timm
 * weights load: Squeeze-and-Excitation (`se`), Gather-Excite (`ge`), CBAM (`cbam`) and
 * Selective Kernel (`sk`). `create(kind, channels, options)` builds one by name, as model
 * configurations (and `createModel(name, { attention })`) refer to them.
 *
 * @example
 *   import { attention } from 'finegrain';
 *   const se = attention.create('se', 256);
 *   const sk = attention.create('sk', 64, { outChannels: 128, stride: 2 });
 *
 * @module
 */
import type { Module } from '../module.js';
import { SqueezeExcite, type SqueezeExciteOptions } from './squeeze-excite.js';
import { GatherExcite, type GatherExciteOptions } from './gather-excite.js';
import { CbamModule, type CbamOptions } from './cbam.js';
import { SelectiveKernel, type SelectiveKernelOptions } from './selective-kernel.js';

export { SqueezeExcite, type SqueezeExciteOptions } from './squeeze-excite.js';
export { GatherExcite, type GatherExciteOptions } from './gather-excite.js';
export { CbamModule, ChannelAttn, SpatialAttn, type CbamOptions } from './cbam.js';
export { SelectiveKernel, SelectiveKernelAttn, type SelectiveKernelOptions } from './selective-kernel.js';
export { ConvMlp } from './conv-mlp.js';

/** The attention kinds `create` knows (timm's `create_attn` names). */
export type AttentionKind = 'se' | 'ge' | 'cbam' | 'sk';

/** Every `AttentionKind`, for validating a configuration value. */
export const ATTENTION_KINDS: readonly AttentionKind[] = ['se', 'ge', 'cbam', 'sk'];

/** Options of each kind; 'sk' also takes its output width (default: `channels`). */
export interface AttentionOptions {
  /** Options of Squeeze-and-Excitation. */
  se: SqueezeExciteOptions;
  /** Options of Gather-Excite. */
  ge: GatherExciteOptions;
  /** Options of CBAM. */
  cbam: CbamOptions;
  /** Options of Selective Kernel, and its output width. */
  sk: SelectiveKernelOptions & {
    /** Output channels (default: the input's). */
    outChannels?: number;
  };
}

/**
 * An attention module of `kind` for `channels` channels.
 *
 * @example
 *   const ge = create('ge', 512, { extent: 8 });
 */
export function create<K extends AttentionKind>(kind: K, channels: number, options: AttentionOptions[K] = {} as AttentionOptions[K]): Module {
  switch (kind) {
    case 'se':
      return new SqueezeExcite(channels, options as SqueezeExciteOptions);
    case 'ge':
      return new GatherExcite(channels, options as GatherExciteOptions);
    case 'cbam':
      return new CbamModule(channels, options as CbamOptions);
    case 'sk': {
      const { outChannels, ...rest } = options as AttentionOptions['sk'];
      return new SelectiveKernel(channels, outChannels ?? channels, rest);
    }
  }
  throw new TypeError(`unknown attention kind '${kind as string}'; expected one of ${ATTENTION_KINDS.join(', ')}`);
}
