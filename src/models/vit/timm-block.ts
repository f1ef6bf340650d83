/**
 * The pre-norm Transformer block of timm's `VisionTransformer` (and of the MAE reference
 * implementation, which builds its encoder and decoder from timm's `Block`), with timm's
 * state-dict names: `norm1`, `attn.qkv`, `attn.proj`, `norm2`, `mlp.fc1`, `mlp.fc2`. Drop path
 * (stochastic depth per sample) on both residual branches, as timm's `drop_path1`/`drop_path2`.
 *
 * timm's LayerScale (`ls1`, `ls2`) is left out: the ViTs finegrain builds (tiny, small, base and
 * MAE's) are defined without `init_values`, where timm makes both an identity.
 *
 * @example
 *   const block = new TimmBlock({ dim: 192, numHeads: 3, mlpRatio: 4, dropPath: 0.1 });
 *   const y = block.forward(tokens);   // [N, L, 192]
 */
import { scope } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { GELU } from '../../nn/layers/activations.js';
import { attendHeads } from './attend.js';
import { StochasticDepth } from '../efficientnet/stochastic-depth.js';

/** The LayerNorm of timm's ViTs and of MAE (eps 1e-6). */
export function vitNorm(dim: number): LayerNorm {
  return new LayerNorm(dim, { eps: 1e-6 });
}

/**
 * timm's `Attention`: one Linear `qkv` [3D, D] (query, key and value stacked, with bias) and the
 * output projection `proj`.
 *
 * @example
 *   const attn = new TimmAttention(384, 6);
 *   const y = attn.forward(tokens);   // [N, L, 384]
 */
export class TimmAttention extends Module {
  /** The stacked query, key and value projections. */
  declare readonly qkv: Linear;
  /** The output projection. */
  declare readonly proj: Linear;
  /** Attention heads. */
  readonly numHeads: number;

  constructor(dim: number, numHeads: number) {
    super();
    if (dim % numHeads) throw new RangeError(`TimmAttention: dim ${dim} is not divisible by numHeads ${numHeads}`);
    this.numHeads = numHeads;
    this.registerModule('qkv', new Linear(dim, 3 * dim));
    this.registerModule('proj', new Linear(dim, dim));
  }

  forward(x: Tensor): Tensor {
    return scope(() => this.proj.forward(attendHeads(this.qkv.forward(x), this.numHeads)));
  }
}

/**
 * timm's `Mlp`: `fc1` → GELU → `fc2` (no dropout: ViT and MAE train with none).
 *
 * @example
 *   const mlp = new TimmMlp(192, 768);
 */
export class TimmMlp extends Module {
  /** The expansion. */
  declare readonly fc1: Linear;
  /** The activation (exact GELU, as torch.nn.GELU's default). */
  declare readonly act: GELU;
  /** The projection back. */
  declare readonly fc2: Linear;

  constructor(dim: number, hiddenDim: number) {
    super();
    this.registerModule('fc1', new Linear(dim, hiddenDim));
    this.registerModule('act', new GELU());
    this.registerModule('fc2', new Linear(hiddenDim, dim));
  }

  forward(x: Tensor): Tensor {
    return scope(() => this.fc2.forward(this.act.forward(this.fc1.forward(x))));
  }
}

/** Options of `TimmBlock`. */
export interface TimmBlockOptions {
  /** Token width. */
  dim: number;
  /** Attention heads (dividing `dim`). */
  numHeads: number;
  /** MLP hidden width as a multiple of `dim` (4 in ViT and MAE). */
  mlpRatio: number;
  /** Probability of dropping a sample's residual branch while training (default 0). */
  dropPath?: number;
}

/**
 * One pre-norm block: x + attn(norm1(x)), then x + mlp(norm2(x)), each branch under drop path.
 *
 * @example
 *   const block = new TimmBlock({ dim: 384, numHeads: 6, mlpRatio: 4 });
 */
export class TimmBlock extends Module {
  /** LayerNorm before the attention. */
  declare readonly norm1: LayerNorm;
  /** The self-attention. */
  declare readonly attn: TimmAttention;
  /** Drop path on the attention branch. */
  declare readonly drop_path1: StochasticDepth;
  /** LayerNorm before the MLP. */
  declare readonly norm2: LayerNorm;
  /** The MLP. */
  declare readonly mlp: TimmMlp;
  /** Drop path on the MLP branch. */
  declare readonly drop_path2: StochasticDepth;

  constructor(options: TimmBlockOptions) {
    super();
    const { dim, numHeads, mlpRatio, dropPath = 0 } = options;
    this.registerModule('norm1', vitNorm(dim));
    this.registerModule('attn', new TimmAttention(dim, numHeads));
    this.registerModule('drop_path1', new StochasticDepth(dropPath));
    this.registerModule('norm2', vitNorm(dim));
    this.registerModule('mlp', new TimmMlp(dim, Math.round(dim * mlpRatio)));
    this.registerModule('drop_path2', new StochasticDepth(dropPath));
  }

  /** Sets the drop-path probability of both branches (fine-tuning sets it per block). */
  setDropPath(p: number): void {
    // StochasticDepth's p is readonly: swap in new (parameter-free) modules.
    this.setSubmodule('drop_path1', new StochasticDepth(p))?.dispose();
    this.setSubmodule('drop_path2', new StochasticDepth(p))?.dispose();
  }

  forward(input: Tensor): Tensor {
    return scope(() => {
      const x = this.drop_path1.forward(this.attn.forward(this.norm1.forward(input))).add(input);
      // Out of place, residual first: under bf16 autocast adding into the bf16 branch would make
      // the float32 residual stream bf16 (see encoder.ts); timm's `x + drop_path(mlp(norm2(x)))`.
      return x.add(this.drop_path2.forward(this.mlp.forward(this.norm2.forward(x))));
    });
  }
}
