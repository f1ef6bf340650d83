/**
 * The timm-named ViTs against a PyTorch reference written after timm's VisionTransformer
 * (class-token and average pooling; strict load, so every key is timm's), timm's published
 * parameter counts, MAE's sine-cosine position embedding against the reference's NumPy
 * formula, drop path, and the pieces MAE composes (embedPatches, forwardBlocks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, randn, scope } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { TimmVisionTransformer } from '../../src/models/vit/timm-vit.js';
import { sincosPositionEmbedding } from '../../src/models/vit/sincos-position.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { TIMM_VIT_BLOCKS, randomizeLayerNorms } from '../support/timm-vit-reference.js';

const skip = oracleSkip();

// timm's VisionTransformer (qkv_bias, no LayerScale, no pre-norm), reduced to what finegrain builds.
const REFERENCE = `${TIMM_VIT_BLOCKS}
class ViT(nn.Module):
    def __init__(s, img, p, d, depth, h, nc, pool):
        super().__init__(); s.pool = pool
        s.patch_embed = PatchEmbed(p, d); s.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        s.pos_embed = nn.Parameter(torch.zeros(1, (img // p) ** 2 + 1, d))
        s.blocks = nn.Sequential(*[Block(d, h) for _ in range(depth)])
        s.norm = nn.LayerNorm(d, eps=1e-6) if pool == 'token' else nn.Identity()
        s.fc_norm = nn.LayerNorm(d, eps=1e-6) if pool == 'avg' else nn.Identity()
        s.head = nn.Linear(d, nc)
    def forward(s, x):
        x = s.patch_embed(x)
        x = torch.cat((s.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + s.pos_embed
        x = s.norm(s.blocks(x))
        x = x[:, 1:].mean(dim=1) if s.pool == 'avg' else x[:, 0]
        return s.head(s.fc_norm(x))
`;

for (const globalPool of ['token', 'avg'] as const) {
  test(`timm ViT (${globalPool} pooling) matches the timm-layout reference, strict keys`, { skip }, () => {
    const model = new TimmVisionTransformer({ patchSize: 8, embedDim: 48, depth: 2, numHeads: 3, mlpRatio: 4 }, { numClasses: 5, imageSize: 32, globalPool });
    try {
      model.eval();
      scope(() => {
        randomizeLayerNorms(model);
        const x = randn([2, 3, 32, 32]);
        const state = Object.fromEntries(model.stateEntries().map(([k, t]) => [k, t.detach()]));
        const out = torchOracle(
          `${REFERENCE}
ref = ViT(32, 8, 48, 2, 3, 5, '${globalPool}')
ref.load_state_dict({k: v for k, v in inputs.items() if k != '__x__'}, strict=True)
ref.eval()
with torch.no_grad(): outputs['y'] = ref(inputs['__x__'])`,
          { ...state, __x__: x },
        );
        const y = noGrad(() => model.forward(x));
        const err = y.sub(out.y!).abs().max().item();
        assert.ok(err < 1e-4, `max |error| ${err}`);
        assert.equal(model.fc_norm !== null, globalPool === 'avg');
        assert.equal(model.norm !== null, globalPool === 'token');
      });
    } finally {
      model.dispose();
    }
  });
}

test("timm's published parameter counts; timm's key names", () => {
  // timm: vit_tiny_patch16_224 5,717,416; vit_small_patch16_224 22,050,664; vit_base_patch16_224 86,567,656.
  const expected: Record<string, number> = { vit_tiny_patch16_224: 5_717_416, vit_small_patch16_224: 22_050_664, vit_base_patch16_224: 86_567_656 };
  for (const [name, count] of Object.entries(expected)) {
    const m = withoutInit(() => createModel(name));
    try {
      assert.equal(m.numParameters(), count, name);
      if (name === 'vit_tiny_patch16_224') {
        const keys = m.stateEntries().map(([k]) => k);
        for (const k of [
          'patch_embed.proj.weight',
          'cls_token',
          'pos_embed',
          'blocks.11.attn.qkv.weight',
          'blocks.0.mlp.fc2.bias',
          'norm.weight',
          'head.weight',
        ])
          assert.ok(keys.includes(k), k);
      }
    } finally {
      m.dispose();
    }
  }
});

test('MAE sine-cosine position embedding equals the reference formula (NumPy)', { skip }, () => {
  scope(() => {
    const out = torchOracle(
      `
import numpy as np
def pe1(d, pos):
    omega = np.arange(d // 2, dtype=np.float64) / (d / 2.0)
    omega = 1.0 / 10000 ** omega
    out = np.einsum('m,d->md', pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)
gs, d = 5, 16
grid = np.meshgrid(np.arange(gs, dtype=np.float32), np.arange(gs, dtype=np.float32))
grid = np.stack(grid, axis=0).reshape([2, 1, gs, gs])
emb = np.concatenate([pe1(d // 2, grid[0]), pe1(d // 2, grid[1])], axis=1)
emb = np.concatenate([np.zeros([1, d]), emb], axis=0)
outputs['pe'] = torch.from_numpy(emb).float()`,
      {},
    );
    const ours = Array.from(sincosPositionEmbedding(16, 5, { classToken: true }));
    const ref = Array.from(out.pe!.toTypedArray() as Float32Array);
    assert.equal(ours.length, ref.length);
    const err = Math.max(...ours.map((v, i) => Math.abs(v - ref[i]!)));
    assert.ok(err < 1e-6, `max |error| ${err}`);
  });
});

test('embedPatches + forwardBlocks + norm compose forwardTokens; drop path is random only while training', () => {
  const model = new TimmVisionTransformer({ patchSize: 8, embedDim: 24, depth: 3, numHeads: 2, mlpRatio: 2 }, { numClasses: 0, imageSize: 16, dropPath: 0.5 });
  try {
    scope(() => {
      const x = randn([4, 3, 16, 16]);
      model.eval();
      const a = noGrad(() => model.forwardTokens(x));
      const b = noGrad(() => model.norm!.forward(model.forwardBlocks(model.embedPatches(x))));
      assert.ok(a.sub(b).abs().max().item() < 1e-6);
      assert.deepEqual(noGrad(() => model.forwardFeatures(x)).shape, [4, 24, 2, 2]);
      assert.ok(
        noGrad(() => model.forwardEmbedding(x))
          .sub(a.select(1, 0))
          .abs()
          .max()
          .item() < 1e-6,
        'class-token pooling',
      );
      model.train();
      const t1 = noGrad(() => model.forwardTokens(x));
      const t2 = noGrad(() => model.forwardTokens(x));
      assert.ok(t1.sub(t2).abs().max().item() > 1e-3, 'drop path 0.5 in training mode changes the output between passes');
      model.setDropPath(0);
      const t3 = noGrad(() => model.forwardTokens(x));
      assert.ok(t3.sub(a).abs().max().item() < 1e-5, 'no drop path: training equals eval (no dropout anywhere)');
    });
    assert.throws(() => scope(() => model.forwardTokens(randn([1, 3, 32, 32]))), /expected 16x16/);
    assert.throws(
      () => new TimmVisionTransformer({ patchSize: 8, embedDim: 24, depth: 1, numHeads: 2, mlpRatio: 2 }, { numClasses: 0, imageSize: 20 }),
      /multiple of the patch size/,
    );
  } finally {
    model.dispose();
  }
});
