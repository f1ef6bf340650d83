/**
 * MAE as the paper and its reference implementation define it: the masking keeps exactly
 * round(L·(1 − ratio)) patches per sample and un-shuffles exactly; the loss ignores visible
 * patches; the normalised-pixel target is the per-patch standardisation; patchify's layout;
 * and the whole forward pass (encoder on visible patches, decoder with mask tokens, loss)
 * against a PyTorch transcription of models_mae.py given the same masking noise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, scope, zeros, cat, tensor } from '../../src/index.js';
import { MaskedAutoencoder } from '../../src/pretrain/mae/masked-autoencoder.js';
import { keptPatches, randomMasking } from '../../src/pretrain/mae/random-masking.js';
import { maeLoss, normalizedPixelTarget } from '../../src/pretrain/mae/mae-loss.js';
import { patchify, unpatchify } from '../../src/pretrain/mae/patchify.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { TIMM_VIT_BLOCKS, randomizeLayerNorms } from '../support/timm-vit-reference.js';

const skip = oracleSkip();

test('masking keeps exactly round(L·(1 − ratio)) patches per sample, and idsRestore un-shuffles exactly', () => {
  for (const [l, ratio] of [
    [196, 0.75],
    [64, 0.75],
    [49, 0.75],
    [50, 0.75],
    [16, 0.5],
    [10, 0.9],
  ] as const) {
    scope(() => {
      const n = 3;
      const d = 5;
      // Token j of sample i carries the value 1000·i + j in every channel: positions are readable.
      const ids = tensor(Array.from({ length: n }, (_, i) => Array.from({ length: l }, (_, j) => 1000 * i + j + 1)));
      const tokens = ids.float().unsqueeze(-1).expand(n, l, d).contiguous();
      const { visible, mask, idsRestore } = randomMasking(tokens, ratio);
      const keep = Math.round(l * (1 - ratio));
      assert.equal(keptPatches(l, ratio), keep);
      assert.deepEqual(visible.shape, [n, keep, d]);
      const maskRows = mask.toArray() as number[][];
      for (let i = 0; i < n; i++) {
        assert.equal(maskRows[i]!.filter((v) => v === 0).length, keep, `sample ${i} keeps ${keep} of ${l}`);
        // The visible tokens are exactly the positions the mask calls kept.
        const seen = (visible.select(0, i).select(1, 0).toArray() as number[]).map((v) => v - 1000 * i - 1).sort((a, b) => a - b);
        const kept = maskRows[i]!.flatMap((v, j) => (v === 0 ? [j] : []));
        assert.deepEqual(seen, kept);
      }
      // Visible tokens then zeros, gathered by idsRestore: each kept token back in its place.
      const filled = cat([visible, zeros([n, l - keep, d])], 1).gather(1, idsRestore.unsqueeze(-1).expand(n, l, d).contiguous());
      const restored = filled.add(mask.unsqueeze(-1).mul(tokens));
      assert.ok(restored.equal(tokens), 'un-shuffle restores the original order');
      // Per-sample: two samples' masks differ (independent noise).
      assert.ok(!mask.select(0, 0).equal(mask.select(0, 1)) || l < 12);
    });
  }
  assert.throws(() => keptPatches(10, 1), /maskRatio/);
});

test('the loss counts removed patches only: visible predictions change nothing and get no gradient', () => {
  scope(() => {
    const pred = randn([2, 8, 12]).requiresGrad_(true);
    const target = randn([2, 8, 12]);
    const mask = tensor([
      [1, 0, 1, 1, 0, 1, 1, 1],
      [0, 1, 1, 0, 1, 1, 1, 0],
    ]).float();
    const loss = maeLoss(pred, target, mask, { normPixLoss: false });
    // By hand: mean over removed patches of the per-patch mean squared error.
    const p = pred.detach().toArray() as number[][][];
    const t = target.toArray() as number[][][];
    const m = mask.toArray() as number[][];
    let sum = 0;
    let count = 0;
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 8; j++) {
        if (!m[i]![j]) continue;
        sum += p[i]![j]!.reduce((s, v, k) => s + (v - t[i]![j]![k]!) ** 2, 0) / 12;
        count++;
      }
    assert.ok(Math.abs(loss.item() - sum / count) < 1e-5, `${loss.item()} vs ${sum / count}`);
    loss.backward();
    const g = pred.grad!.abs().sum(-1).toArray() as number[][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 8; j++) assert.equal(g[i]![j]! === 0, m[i]![j] === 0, `gradient at sample ${i} patch ${j}`);
    // Changing the visible predictions leaves the loss as it was.
    const changed = pred.detach().add(
      mask
        .neg()
        .add(1)
        .unsqueeze(-1)
        .mul(randn([2, 8, 12]).mul(10)),
    );
    assert.ok(Math.abs(maeLoss(changed, target, mask, { normPixLoss: false }).item() - loss.item()) < 1e-5);
  });
});

test('the normalised-pixel target is each patch standardised by its own mean and unbiased variance (ε 1e-6)', () => {
  scope(() => {
    const patches = randn([2, 3, 7]).mul(3).add(1);
    const out = normalizedPixelTarget(patches).toArray() as number[][][];
    const raw = patches.toArray() as number[][][];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        const v = raw[i]![j]!;
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1);
        v.forEach((x, k) => assert.ok(Math.abs(out[i]![j]![k]! - (x - mean) / Math.sqrt(variance + 1e-6)) < 1e-5));
      }
  });
});

test('patchify orders patches row-major and values row, column, channel; unpatchify inverts it', () => {
  scope(() => {
    const x = randn([2, 3, 8, 8]);
    const p = patchify(x, 4);
    assert.deepEqual(p.shape, [2, 4, 48]);
    // Patch 1 (top right), value at patch row 2, column 3, channel 1 = x[:, 1, 2, 4 + 3].
    const got = p
      .select(0, 1)
      .select(0, 1)
      .select(0, (2 * 4 + 3) * 3 + 1)
      .item();
    assert.equal(got, x.select(0, 1).select(0, 1).select(0, 2).select(0, 7).item());
    assert.ok(unpatchify(p, 4, 2).equal(x));
  });
});

// models_mae.py's MaskedAutoencoderViT, transcribed with timm's Block, random_masking taking the noise.
const REFERENCE = `${TIMM_VIT_BLOCKS}
class MAE(nn.Module):
    def __init__(s, img, p, d, depth, h, dd, ddepth, dh):
        super().__init__(); s.p = p; L = (img // p) ** 2
        s.patch_embed = PatchEmbed(p, d)
        s.cls_token = nn.Parameter(torch.zeros(1, 1, d)); s.pos_embed = nn.Parameter(torch.zeros(1, L + 1, d), requires_grad=False)
        s.blocks = nn.ModuleList([Block(d, h) for _ in range(depth)]); s.norm = nn.LayerNorm(d, eps=1e-6)
        s.decoder_embed = nn.Linear(d, dd); s.mask_token = nn.Parameter(torch.zeros(1, 1, dd))
        s.decoder_pos_embed = nn.Parameter(torch.zeros(1, L + 1, dd), requires_grad=False)
        s.decoder_blocks = nn.ModuleList([Block(dd, dh) for _ in range(ddepth)])
        s.decoder_norm = nn.LayerNorm(dd, eps=1e-6); s.decoder_pred = nn.Linear(dd, p * p * 3)
    def patchify(s, imgs):
        p = s.p; h = w = imgs.shape[2] // p
        x = imgs.reshape(imgs.shape[0], 3, h, p, w, p)
        return torch.einsum('nchpwq->nhwpqc', x).reshape(imgs.shape[0], h * w, p * p * 3)
    def random_masking(s, x, mask_ratio, noise):
        N, L, D = x.shape; len_keep = int(L * (1 - mask_ratio))
        ids_shuffle = torch.argsort(noise, dim=1); ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :len_keep]
        x_masked = torch.gather(x, dim=1, index=ids_keep.unsqueeze(-1).repeat(1, 1, D))
        mask = torch.ones([N, L]); mask[:, :len_keep] = 0
        return x_masked, torch.gather(mask, dim=1, index=ids_restore), ids_restore
    def forward(s, imgs, mask_ratio, noise, norm_pix):
        x = s.patch_embed(imgs) + s.pos_embed[:, 1:, :]
        x, mask, ids_restore = s.random_masking(x, mask_ratio, noise)
        cls = (s.cls_token + s.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1)
        for b in s.blocks: x = b(x)
        x = s.decoder_embed(s.norm(x))
        mask_tokens = s.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)
        x_ = torch.gather(x_, dim=1, index=ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1) + s.decoder_pos_embed
        for b in s.decoder_blocks: x = b(x)
        pred = s.decoder_pred(s.decoder_norm(x))[:, 1:, :]
        target = s.patchify(imgs)
        if norm_pix:
            mean = target.mean(dim=-1, keepdim=True); var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1.e-6) ** .5
        loss = ((pred - target) ** 2).mean(dim=-1)
        return (loss * mask).sum() / mask.sum(), pred, mask
`;

for (const normPix of [true, false]) {
  test(`forward pass and loss equal the reference models_mae.py (same noise, normPixLoss ${normPix}); its keys are the reference's`, { skip }, () => {
    const model = new MaskedAutoencoder({ model: 'vit_tiny_patch16_224', imageSize: 32, patchSize: 8, decoderDepth: 2, decoderDim: 64 });
    try {
      model.eval();
      scope(() => {
        randomizeLayerNorms(model);
        const x = randn([2, 3, 32, 32]);
        const noise = randn([2, 16]);
        const ours = noGrad(() => model.forwardLoss(x, { maskRatio: 0.75, normPixLoss: normPix, noise }));
        const state = Object.fromEntries(model.stateEntries().map(([k, t]) => [k, t.detach()]));
        const out = torchOracle(
          `${REFERENCE}
ref = MAE(32, 8, 192, 12, 3, 64, 2, 2)
ref.load_state_dict({k: v for k, v in inputs.items() if not k.startswith('__')}, strict=True)
ref.eval()
with torch.no_grad():
    loss, pred, mask = ref(inputs['__x__'], 0.75, inputs['__noise__'], ${normPix ? 'True' : 'False'})
outputs['loss'] = loss.reshape(1); outputs['pred'] = pred; outputs['mask'] = mask`,
          { ...state, __x__: x, __noise__: noise },
        );
        assert.ok(ours.mask.equal(out.mask!), 'same patches removed');
        const predErr = ours.pred.sub(out.pred!).abs().max().item();
        assert.ok(predErr < 1e-4, `pred max |error| ${predErr}`);
        assert.ok(Math.abs(ours.loss.item() - out.loss!.item()) < 1e-4, `loss ${ours.loss.item()} vs ${out.loss!.item()}`);
      });
    } finally {
      model.dispose();
    }
  });
}

test('the position embeddings are fixed sine-cosine (not trained); the encoder part has timm ViT keys only', () => {
  const model = new MaskedAutoencoder({ model: 'vit_tiny_patch16_224', imageSize: 32, patchSize: 8, decoderDepth: 1 });
  try {
    assert.equal(model.pos_embed.requiresGrad, false);
    assert.equal(model.decoder_pos_embed.requiresGrad, false);
    assert.equal(model.pos_embed.select(1, 0).abs().sum().item(), 0, 'class-token row is zero');
    const keys = model.encoderEntries().map(([k]) => k);
    assert.ok(keys.includes('blocks.11.mlp.fc2.weight') && keys.includes('norm.bias') && keys.includes('pos_embed'));
    assert.ok(!keys.some((k) => k.startsWith('decoder') || k === 'mask_token'));
    assert.equal(model.decoder_embed.weight.size(0), 128, 'default decoder width: two thirds of 192, in 32s');
  } finally {
    model.dispose();
  }
  assert.throws(() => new MaskedAutoencoder({ model: 'resnet50' }), /timm-named ViT/);
});
