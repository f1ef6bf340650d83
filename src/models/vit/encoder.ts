/**
 * The Transformer encoder of torchvision's VisionTransformer: learnt position embeddings
 * added to the tokens, `layers` of pre-norm blocks (LayerNorm → self-attention → residual,
 * LayerNorm → MLP → residual), and a final LayerNorm `ln`. Names are torchvision's
 * (`encoder.layers.encoder_layer_0.self_attention.in_proj_weight`, `….mlp.0.weight`).
 *
 * @example
 *   const enc = new Encoder({ seqLength: 197, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072 });
 *   const y = enc.forward(tokens);   // [N, 197, 768]
 */
import { scope } from '../../tensor/scope.js';
import { empty } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { GELU } from '../../nn/layers/activations.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { normal_, xavierUniform_ } from '../../nn/init.js';
import { MultiheadAttention } from './multihead-attention.js';

/** The size of a ViT encoder (`Encoder`'s options). */
export interface EncoderOptions {
  /** Tokens per sequence (patches + class token); sizes the position embedding. */
  seqLength: number;
  /** Encoder blocks. */
  numLayers: number;
  /** Attention heads per block. */
  numHeads: number;
  /** Width of the tokens. */
  hiddenDim: number;
  /** Hidden width of each block's MLP. */
  mlpDim: number;
  /** Dropout after the embedding, the attention and in the MLP (default 0). */
  dropout?: number;
  /** Dropout on attention weights (default 0). */
  attentionDropout?: number;
}

// ViT's LayerNorm eps (torchvision: partial(nn.LayerNorm, eps=1e-6)).
const norm = (d: number) => new LayerNorm(d, { eps: 1e-6 });

/** The MLP: Linear → GELU → Dropout → Linear → Dropout, as torchvision's MLPBlock (keys mlp.0, mlp.3). */
function mlpBlock(dim: number, mlpDim: number, p: number): Sequential {
  const mlp = new Sequential([new Linear(dim, mlpDim), new GELU(), new Dropout(p), new Linear(mlpDim, dim), new Dropout(p)]);
  // torchvision: Xavier-uniform weights, N(0, 1e-6²) biases.
  for (const m of mlp.children()) {
    if (m instanceof Linear) {
      xavierUniform_(m.weight);
      normal_(m.bias!, 0, 1e-6);
    }
  }
  return mlp;
}

/** One pre-norm Transformer block. */
export class EncoderBlock extends Module {
  /** LayerNorm before the attention. */
  declare readonly ln_1: LayerNorm;
  /** The multi-head self-attention. */
  declare readonly self_attention: MultiheadAttention;
  /** Dropout after the attention. */
  declare readonly dropout: Dropout;
  /** LayerNorm before the MLP. */
  declare readonly ln_2: LayerNorm;
  /** The MLP: Linear, GELU, Dropout, Linear, Dropout. */
  declare readonly mlp: Sequential;

  constructor(numHeads: number, hiddenDim: number, mlpDim: number, dropout: number, attentionDropout: number) {
    super();
    this.registerModule('ln_1', norm(hiddenDim));
    this.registerModule('self_attention', new MultiheadAttention(hiddenDim, numHeads, { dropout: attentionDropout }));
    this.registerModule('dropout', new Dropout(dropout));
    this.registerModule('ln_2', norm(hiddenDim));
    this.registerModule('mlp', mlpBlock(hiddenDim, mlpDim, dropout));
  }

  forward(input: Tensor): Tensor {
    return scope(() => {
      const x = this.dropout.forward(this.self_attention.forward(this.ln_1.forward(input))).add(input);
      // Out of place, residual first: under bf16 autocast the branch is bf16 and the residual
      // stream float32; adding into the branch would make the stream (and the next LayerNorm's
      // input, which libtorch 1.13 refuses against float32 weights) bf16. PyTorch's `x + f(x)`.
      return x.add(this.mlp.forward(this.ln_2.forward(x)));
    });
  }
}

/**
 * The Transformer encoder of torchvision's VisionTransformer: learnt position embeddings,
 * pre-norm blocks and a final LayerNorm, with torchvision's names.
 *
 * @example
 *   const enc = new Encoder({ seqLength: 197, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072 });
 */
export class Encoder extends Module {
  /** The learnt position embeddings [1, seqLength, hiddenDim], added to the tokens. */
  declare readonly pos_embedding: Tensor;
  /** Dropout after adding the position embeddings. */
  declare readonly dropout: Dropout;
  /** The blocks, `encoder_layer_0`, `encoder_layer_1`, ... */
  declare readonly layers: Sequential;
  /** The final LayerNorm. */
  declare readonly ln: LayerNorm;

  constructor(options: EncoderOptions) {
    super();
    const { seqLength, numLayers, numHeads, hiddenDim, mlpDim, dropout = 0, attentionDropout = 0 } = options;
    // N(0, 0.02²), from BERT (as torchvision).
    this.registerParameter('pos_embedding', normal_(empty([1, seqLength, hiddenDim]), 0, 0.02));
    this.registerModule('dropout', new Dropout(dropout));
    const blocks: [string, Module][] = [];
    for (let i = 0; i < numLayers; i++) blocks.push([`encoder_layer_${i}`, new EncoderBlock(numHeads, hiddenDim, mlpDim, dropout, attentionDropout)]);
    this.registerModule('layers', new Sequential(blocks));
    this.registerModule('ln', norm(hiddenDim));
  }

  forward(input: Tensor): Tensor {
    return scope(() => this.ln.forward(this.layers.forward(this.dropout.forward(input.add(this.pos_embedding)))));
  }
}
