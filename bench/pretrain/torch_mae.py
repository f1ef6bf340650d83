"""The PyTorch peer of bench/pretrain's throughput part: the same MAE (timm-named ViT encoder,
models_mae.py's masking and decoder, norm-pix loss) and the same AdamW step, written in plain
PyTorch as a user of Debian's torch 1.13 would (no timm installed). Reads a JSON config on argv,
prints one JSON line per measured step: {"ms": ...}.

Under bf16 CPU autocast torch 1.13 leaves layer_norm alone and its kernel refuses a bf16 input
with float32 weights; the residual stream stays float32 (x = x + f(x)), so every LayerNorm
here sees float32, as in finegrain.
"""
import json
import sys
import time

import torch
import torch.nn as nn


class Attention(nn.Module):
    def __init__(s, d, h):
        super().__init__()
        s.h = h
        s.qkv = nn.Linear(d, 3 * d)
        s.proj = nn.Linear(d, d)

    def forward(s, x):
        B, N, C = x.shape
        q, k, v = s.qkv(x).reshape(B, N, 3, s.h, C // s.h).permute(2, 0, 3, 1, 4).unbind(0)
        a = ((q * (C // s.h) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        return s.proj((a @ v).transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__()
        s.norm1 = nn.LayerNorm(d, eps=1e-6)
        s.attn = Attention(d, h)
        s.norm2 = nn.LayerNorm(d, eps=1e-6)
        s.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(s, x):
        x = x + s.attn(s.norm1(x))
        return x + s.mlp(s.norm2(x))


class MAE(nn.Module):
    def __init__(s, img, p, d, depth, h, dd, ddepth, dh):
        super().__init__()
        s.p = p
        L = (img // p) ** 2
        s.patch_embed = nn.Conv2d(3, d, p, p)
        s.cls_token = nn.Parameter(torch.zeros(1, 1, d).normal_(std=0.02))
        s.pos_embed = nn.Parameter(torch.zeros(1, L + 1, d), requires_grad=False)
        s.blocks = nn.ModuleList([Block(d, h) for _ in range(depth)])
        s.norm = nn.LayerNorm(d, eps=1e-6)
        s.decoder_embed = nn.Linear(d, dd)
        s.mask_token = nn.Parameter(torch.zeros(1, 1, dd).normal_(std=0.02))
        s.decoder_pos_embed = nn.Parameter(torch.zeros(1, L + 1, dd), requires_grad=False)
        s.decoder_blocks = nn.ModuleList([Block(dd, dh) for _ in range(ddepth)])
        s.decoder_norm = nn.LayerNorm(dd, eps=1e-6)
        s.decoder_pred = nn.Linear(dd, p * p * 3)

    def forward(s, imgs, mask_ratio):
        x = s.patch_embed(imgs).flatten(2).transpose(1, 2) + s.pos_embed[:, 1:, :]
        N, L, D = x.shape
        keep = round(L * (1 - mask_ratio))
        ids_shuffle = torch.argsort(torch.rand(N, L), dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        x = torch.gather(x, 1, ids_shuffle[:, :keep].unsqueeze(-1).repeat(1, 1, D))
        mask = torch.ones(N, L)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        x = torch.cat(((s.cls_token + s.pos_embed[:, :1, :]).expand(N, -1, -1), x), dim=1)
        for b in s.blocks:
            x = b(x)
        x = s.decoder_embed(s.norm(x))
        tokens = s.mask_token.repeat(N, L + 1 - x.shape[1], 1)
        x_ = torch.gather(torch.cat([x[:, 1:, :], tokens], dim=1), 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1) + s.decoder_pos_embed
        for b in s.decoder_blocks:
            x = b(x)
        pred = s.decoder_pred(s.decoder_norm(x))[:, 1:, :].float()
        p = s.p
        h = imgs.shape[2] // p
        target = torch.einsum('nchpwq->nhwpqc', imgs.reshape(N, 3, h, p, h, p)).reshape(N, h * h, p * p * 3)
        mean = target.mean(dim=-1, keepdim=True)
        var = target.var(dim=-1, keepdim=True)
        target = (target - mean) / (var + 1.0e-6) ** 0.5
        loss = ((pred - target) ** 2).mean(dim=-1)
        return (loss * mask).sum() / mask.sum()


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c['threads'])
    torch.manual_seed(0)
    m = MAE(c['imageSize'], c['patchSize'], c['embedDim'], c['depth'], c['heads'], c['decoderDim'], c['decoderDepth'], c['decoderHeads'])
    m.train()
    decay = [p for n, p in m.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in m.named_parameters() if p.requires_grad and p.ndim <= 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0}], lr=1e-4, betas=(0.9, 0.95))
    x = torch.randn(c['batchSize'], 3, c['imageSize'], c['imageSize'])
    bf16 = c['precision'] == 'bfloat16'
    for i in range(c['warmup'] + c['steps']):
        t0 = time.perf_counter()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            loss = m(x, c['maskRatio'])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        ms = (time.perf_counter() - t0) * 1000
        if i >= c['warmup']:
            print(json.dumps({'ms': ms}), flush=True)


if __name__ == '__main__':
    main()
