/**
 * MAE encoders as a starting point (src/models/vit/vit-weights.ts, mae-encoder.ts): a
 * checkpoint in the MAE reference release's layout (`{'model': state_dict}`, timm keys, with or
 * without the decoder), written by PyTorch, loads into torchvision's and timm's ViT names; the
 * outputs equal a PyTorch reference that loads the original keys and resizes the position
 * embedding with MAE's own `interpolate_pos_embed` code. finegrain MAE encoders (safetensors with
 * `finegrain-mae` metadata) fix the architecture and sides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, randn, saveSafetensors, scope, type Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/registry.js';
import { withoutInit } from '../../src/nn/init.js';
import { loadPretrained } from '../../src/models/pretrained/load-weights-file.js';
import { TimmVisionTransformer } from '../../src/models/vit/timm-vit.js';
import { VisionTransformer } from '../../src/models/vit/vit.js';
import { renameVitKey, TIMM_TO_TORCHVISION, vitLayerId } from '../../src/models/vit/vit-weights.js';
import { describeMaeWeights, MAE_ENCODER_FORMAT } from '../../src/models/vit/mae-encoder.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { TIMM_VIT_BLOCKS } from '../support/timm-vit-reference.js';

const skip = oracleSkip();
const dir = mkdtempSync(join(tmpdir(), 'fg-mae-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// A timm-named encoder as MAE's models_vit/models_mae build it (qkv bias, LayerNorm eps 1e-6),
// its state dict saved as the release does, and MAE's interpolate_pos_embed, verbatim in
// behaviour: bicubic, align_corners=False, extra (class-token) rows kept.
const REFERENCE = `${TIMM_VIT_BLOCKS}
class Encoder(nn.Module):
    def __init__(s, img, p, d, depth, h):
        super().__init__(); s.p = p
        s.patch_embed = PatchEmbed(p, d); s.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        s.pos_embed = nn.Parameter(torch.randn(1, (img // p) ** 2 + 1, d) * 0.5)
        s.blocks = nn.Sequential(*[Block(d, h) for _ in range(depth)]); s.norm = nn.LayerNorm(d, eps=1e-6)
        for n, q in s.named_parameters():
            if 'norm' in n: q.data.normal_(1.0 if n.endswith('weight') else 0.0, 0.2)
    def tokens(s, x):
        x = s.patch_embed.proj(x).flatten(2).transpose(1, 2)
        return s.blocks(torch.cat((s.cls_token.expand(x.shape[0], -1, -1), x), 1) + s.pos_embed)
def interpolate_pos_embed(pe, new_size):
    extra = pe[:, :1]; n = int((pe.shape[1] - 1) ** 0.5)
    t = pe[:, 1:].reshape(-1, n, n, pe.shape[-1]).permute(0, 3, 1, 2)
    t = F.interpolate(t, size=(new_size, new_size), mode='bicubic', align_corners=False)
    return torch.cat((extra, t.permute(0, 2, 3, 1).flatten(1, 2)), dim=1)
`;

/** Writes an MAE-release-layout checkpoint of a small encoder (32 px, patch 8, width 48, depth 2). */
function writeRelease(path: string, options: { decoder?: boolean; extraKey?: string } = {}): void {
  torchOracle(`${REFERENCE}
torch.manual_seed(0)
enc = Encoder(32, 8, 48, 2, 3)
sd = enc.state_dict()
${options.decoder ? "sd['mask_token'] = torch.zeros(1, 1, 32); sd['decoder_embed.weight'] = torch.randn(32, 48); sd['decoder_pred.bias'] = torch.randn(192)" : ''}
${options.extraKey ? `sd['${options.extraKey}'] = torch.zeros(3)` : ''}
torch.save({'model': sd}, '${path}')`);
}

/** The reference's pooled features on x at a `size`-px input from the checkpoint at `path`. */
function referenceEmbedding(path: string, x: Tensor, size: number, pool: 'token' | 'avg'): Tensor {
  return torchOracle(
    `${REFERENCE}
sd = torch.load('${path}', map_location='cpu')['model']
sd = {k: v for k, v in sd.items() if not (k.startswith('decoder_') or k == 'mask_token')}
sd['pos_embed'] = interpolate_pos_embed(sd['pos_embed'], ${size} // 8)
ref = Encoder(${size}, 8, 48, 2, 3); ref.load_state_dict(sd, strict=True); ref.eval()
with torch.no_grad():
    t = ref.tokens(inputs['x'])
    outputs['y'] = ref.norm(t)[:, 0] if '${pool}' == 'token' else F.layer_norm(t[:, 1:].mean(1), (48,), eps=1e-6)`,
    { x },
  ).y!;
}

const TIMM_SMALL = { patchSize: 8, embedDim: 48, depth: 2, numHeads: 3, mlpRatio: 4 };
const TV_SMALL = { patchSize: 8, numLayers: 2, numHeads: 3, hiddenDim: 48, mlpDim: 192 };

function maxErr(a: Tensor, b: Tensor): number {
  return a.sub(b).abs().max().item();
}

test('the documented key mapping renames every timm key to torchvision and back', () => {
  const timm = ['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'blocks.11.attn.qkv.bias', 'blocks.0.mlp.fc2.weight', 'norm.bias', 'head.weight'];
  const tv = timm.map((k) => renameVitKey(k, 'timm'));
  assert.deepEqual(tv, [
    'class_token',
    'encoder.pos_embedding',
    'conv_proj.weight',
    'encoder.layers.encoder_layer_11.self_attention.in_proj_bias',
    'encoder.layers.encoder_layer_0.mlp.3.weight',
    'encoder.ln.bias',
    'heads.head.weight',
  ]);
  assert.deepEqual(
    tv.map((k) => renameVitKey(k!, 'torchvision')),
    timm,
  );
  assert.equal(renameVitKey('blocks.0.attn.q_bias', 'timm'), undefined);
  assert.equal(TIMM_TO_TORCHVISION.length, 13);
  // MAE's get_layer_id_for_vit, in both layouts (depth 12: the rest is layer 13).
  assert.deepEqual(
    ['cls_token', 'pos_embed', 'patch_embed.proj.bias', 'blocks.0.norm1.weight', 'blocks.11.mlp.fc1.weight', 'norm.weight', 'fc_norm.bias', 'head.weight'].map(
      (k) => vitLayerId(k, 12),
    ),
    [0, 0, 0, 1, 12, 13, 13, 13],
  );
  assert.deepEqual(
    ['class_token', 'encoder.pos_embedding', 'conv_proj.weight', 'encoder.layers.encoder_layer_3.ln_1.bias', 'encoder.ln.weight', 'heads.head.bias'].map((k) =>
      vitLayerId(k, 12),
    ),
    [0, 0, 0, 4, 13, 13],
  );
});

test('an MAE release checkpoint (with its decoder) loads into torchvision names at another size: equals the timm-key reference', { skip }, () => {
  const path = join(dir, 'mae_visualize_small.pth');
  writeRelease(path, { decoder: true });
  assert.deepEqual(describeMaeWeights(path), { kind: 'checkpoint', file: path, decoder: true, imageSize: 32, patchSize: 8 });
  const model = withoutInit(() => new VisionTransformer(TV_SMALL, { numClasses: 5, imageSize: 24 }));
  const lines: string[] = [];
  try {
    loadPretrained(model, path, { log: (l) => lines.push(l) });
    const log = lines.join('\n');
    assert.match(log, /skipped 3 keys of the MAE pretraining decoder/);
    assert.match(log, /timm ViT keys renamed to torchvision's/);
    assert.match(log, /resized from a 4x4 to a 3x3 patch grid/);
    assert.match(log, /heads\.head starts fresh/);
    model.eval();
    scope(() => {
      const x = randn([2, 3, 24, 24]);
      const ref = referenceEmbedding(path, x, 24, 'token');
      const err = maxErr(
        noGrad(() => model.forwardEmbedding(x)),
        ref,
      );
      assert.ok(err < 1e-4, `max |error| ${err}`);
      // MAE's head initialisation: weight N(0, 2e-5²), bias 0.
      const w = model.heads.at(0) as unknown as { weight: Tensor; bias: Tensor };
      const std = w.weight.std().item();
      assert.ok(std > 1e-5 && std < 3e-5, `head weight std ${std}`);
      assert.equal(w.bias.abs().max().item(), 0);
    });
  } finally {
    model.dispose();
  }
});

test("into timm names with globalPool 'avg': norm dropped, a fresh fc_norm, equals the reference's mean-pooled tokens", { skip }, () => {
  const path = join(dir, 'mae_pretrain_small.pth');
  writeRelease(path);
  assert.deepEqual(describeMaeWeights(path), { kind: 'checkpoint', file: path, decoder: false, imageSize: 32, patchSize: 8 });
  const model = withoutInit(() => new TimmVisionTransformer(TIMM_SMALL, { numClasses: 4, imageSize: 40, globalPool: 'avg' }));
  const lines: string[] = [];
  try {
    loadPretrained(model, path, { log: (l) => lines.push(l) });
    assert.match(lines.join('\n'), /norm dropped/);
    model.eval();
    scope(() => {
      const x = randn([2, 3, 40, 40]);
      const ref = referenceEmbedding(path, x, 40, 'avg');
      const err = maxErr(
        noGrad(() => model.forwardEmbedding(x)),
        ref,
      );
      assert.ok(err < 1e-4, `max |error| ${err}`);
      assert.equal(model.fc_norm!.weight!.sub(1).abs().max().item(), 0);
    });
  } finally {
    model.dispose();
  }
});

test('keys no rule maps, and files of no ViT layout, are clear errors', { skip }, () => {
  const path = join(dir, 'mae_extra.pth');
  writeRelease(path, { extraKey: 'blocks.0.attn.q_bias' });
  const tv = withoutInit(() => new VisionTransformer(TV_SMALL, { numClasses: 0, imageSize: 32 }));
  const timm = withoutInit(() => new TimmVisionTransformer(TIMM_SMALL, { numClasses: 0, imageSize: 32 }));
  try {
    assert.throws(() => loadPretrained(tv, path), /timm ViT keys with no torchvision name: blocks\.0\.attn\.q_bias/);
    assert.throws(() => loadPretrained(timm, path), /unexpected.*blocks\.0\.attn\.q_bias/s);
    const other = join(dir, 'not-a-vit.safetensors');
    scope(() => saveSafetensors(other, { 'fc.weight': randn([2, 2]) }));
    assert.throws(() => loadPretrained(timm, other), /not a ViT state dict/);
  } finally {
    tv.dispose();
    timm.dispose();
  }
});

/** A finegrain MAE run folder holding a vit_tiny encoder at `imageSize`. */
function writeEncoder(name: string, imageSize: number): { folder: string; encoder: TimmVisionTransformer } {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const encoder = createModel('vit_tiny_patch16_224', { numClasses: 0, imageSize }) as TimmVisionTransformer;
  const tensors = Object.fromEntries(encoder.stateEntries());
  const info = { format: MAE_ENCODER_FORMAT, model: 'vit_tiny_patch16_224', imageSize, patchSize: 16, maskRatio: 0.75, epochs: 3 };
  saveSafetensors(join(folder, 'encoder.safetensors'), tensors, { 'finegrain-mae': JSON.stringify(info) });
  return { folder, encoder };
}

test('a finegrain MAE encoder: the folder loads, its sides are the defaults, another architecture or patch size is refused', () => {
  const { folder, encoder } = writeEncoder('mae-run', 64);
  try {
    const d = describeMaeWeights(folder);
    assert.equal(d?.kind, 'finegrain');
    const model = createModel('vit_tiny_patch16_224', { pretrained: folder, numClasses: 3, globalPool: 'avg' }) as TimmVisionTransformer;
    try {
      assert.equal(model.imageSize, 64);
      assert.equal(model.patchSize, 16);
      const src = new Map(encoder.stateEntries());
      scope(() => {
        for (const [k, t] of model.stateEntries()) {
          if (k.startsWith('head.') || k.startsWith('fc_norm.')) continue;
          assert.equal(maxErr(t, src.get(k)!), 0, k);
        }
      });
    } finally {
      model.dispose();
    }
    const bigger = createModel('vit_tiny_patch16_224', {
      pretrained: join(folder, 'encoder.safetensors'),
      numClasses: 3,
      imageSize: 96,
    }) as TimmVisionTransformer;
    try {
      assert.deepEqual(bigger.pos_embed.shape, [1, 37, 192]);
      // The class token's row is kept as it was.
      scope(() => assert.equal(maxErr(bigger.pos_embed.slice(1, 0, 1), encoder.pos_embed.slice(1, 0, 1)), 0));
    } finally {
      bigger.dispose();
    }
    assert.throws(
      () => createModel('vit_small_patch16_224', { pretrained: folder }),
      /MAE encoder of vit_tiny_patch16_224; vit_small_patch16_224 is another architecture/,
    );
    assert.throws(() => createModel('vit_b_16', { pretrained: folder }), /another architecture/);
    assert.throws(() => createModel('vit_tiny_patch16_224', { pretrained: folder, patchSize: 8 }), /16-px patches; patchSize 8/);
    assert.throws(() => createModel('vit_tiny_patch16_224', { pretrained: dir }), /folder without encoder\.safetensors/);
  } finally {
    encoder.dispose();
  }
});

test(
  'mae_pretrain_vit_base.pth (the release layout, full size) loads into vit_base_patch16_224 and vit_b_16: the same function, the reference at 32 px',
  { skip },
  () => {
    const path = join(dir, 'mae_pretrain_vit_base.pth');
    writeReleaseBase(path);
    assert.deepEqual(describeMaeWeights(`${path}#model`), {
      kind: 'checkpoint',
      file: `${path}#model`,
      decoder: false,
      model: 'vit_base_patch16_224',
      imageSize: 224,
      patchSize: 16,
    });
    const timm = createModel('vit_base_patch16_224', { pretrained: path, numClasses: 10, imageSize: 32 });
    try {
      const tv = createModel('vit_b_16', { pretrained: `${path}#model`, numClasses: 10, imageSize: 32 });
      try {
        timm.eval();
        tv.eval();
        scope(() => {
          const x = randn([2, 3, 32, 32]);
          const a = noGrad(() => timm.forwardEmbedding(x));
          const b = noGrad(() => tv.forwardEmbedding(x));
          assert.ok(maxErr(a, b) < 1e-4, `timm vs torchvision names: ${maxErr(a, b)}`);
          const ref = torchOracle(
            `${REFERENCE}
sd = torch.load('${path}', map_location='cpu')['model']
sd['pos_embed'] = interpolate_pos_embed(sd['pos_embed'], 2)
ref = Encoder(32, 16, 768, 12, 12); ref.load_state_dict(sd, strict=True); ref.eval()
with torch.no_grad(): outputs['y'] = ref.norm(ref.tokens(inputs['x']))[:, 0]`,
            { x },
          ).y!;
          assert.ok(maxErr(b, ref) < 1e-3 * Math.max(1, ref.abs().max().item()), `vit_b_16 vs reference: ${maxErr(b, ref)}`);
        });
      } finally {
        tv.dispose();
      }
    } finally {
      timm.dispose();
      rmSync(path, { force: true });
    }
  },
);

/** The MAE release's ViT-B/16 layout at full size: 224 px, patch 16, width 768, 12 blocks, no decoder. */
function writeReleaseBase(path: string): void {
  torchOracle(`${REFERENCE}
torch.manual_seed(1)
torch.save({'model': Encoder(224, 16, 768, 12, 12).state_dict()}, '${path}')`);
}
