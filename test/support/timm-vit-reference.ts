/**
 * timm's ViT building blocks in plain PyTorch, with timm's attribute names (`patch_embed.proj`,
 * `attn.qkv`, `attn.proj`, `mlp.fc1`, `mlp.fc2`, `norm1`, `norm2`; qkv bias, LayerNorm eps 1e-6,
 * no LayerScale): the reference the ViT, MAE and MAE-weights tests build their models from, under
 * the oracle (timm itself is not installed). Prepend it to a snippet for `torchOracle`.
 *
 * @example
 *   torchOracle(`${TIMM_VIT_BLOCKS}\nref = Block(48, 3)\n...`, inputs);
 */
import { noGrad } from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';

/**
 * Draws every LayerNorm's affine parameters (weight N(1, 0.2²), bias N(0, 0.2²)), so that a
 * LayerNorm in the wrong place changes the output a parity test compares.
 */
export function randomizeLayerNorms(model: Module): void {
  for (const [name, p] of model.namedParameters()) if (/norm\d?\.(weight|bias)$/.test(name)) noGrad(() => p.normal_(name.endsWith('weight') ? 1 : 0, 0.2));
}

/** The Python source of the blocks: Attention, Mlp, Block, PatchEmbed. */
export const TIMM_VIT_BLOCKS = `
import torch.nn as nn
class Attention(nn.Module):
    def __init__(s, d, h):
        super().__init__(); s.h = h; s.qkv = nn.Linear(d, 3 * d); s.proj = nn.Linear(d, d)
    def forward(s, x):
        B, N, C = x.shape
        q, k, v = s.qkv(x).reshape(B, N, 3, s.h, C // s.h).permute(2, 0, 3, 1, 4).unbind(0)
        a = ((q * (C // s.h) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        return s.proj((a @ v).transpose(1, 2).reshape(B, N, C))
class Mlp(nn.Module):
    def __init__(s, d, hd):
        super().__init__(); s.fc1 = nn.Linear(d, hd); s.act = nn.GELU(); s.fc2 = nn.Linear(hd, d)
    def forward(s, x): return s.fc2(s.act(s.fc1(x)))
class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__(); s.norm1 = nn.LayerNorm(d, eps=1e-6); s.attn = Attention(d, h)
        s.norm2 = nn.LayerNorm(d, eps=1e-6); s.mlp = Mlp(d, 4 * d)
    def forward(s, x):
        x = x + s.attn(s.norm1(x)); return x + s.mlp(s.norm2(x))
class PatchEmbed(nn.Module):
    def __init__(s, p, d):
        super().__init__(); s.proj = nn.Conv2d(3, d, p, p)
    def forward(s, x): return s.proj(x).flatten(2).transpose(1, 2)
`;
