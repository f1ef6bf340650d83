/**
 * Fine-tuning from an MAE encoder (`train({ pretrained: 'runs/mae/<name>' })`): the model and
 * image side come from the encoder, the MAE fine-tuning recipe fills what the input leaves out
 * (explicit values win), the layer-wise learning-rate groups are MAE's `param_groups_lrd`, and the
 * flags are refused where they do not apply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autocast, randn, saveSafetensors, scope, train } from '../../src/index.js';
import { VisionTransformer } from '../../src/models/vit/vit.js';
import { createModel } from '../../src/models/registry.js';
import { loadModelFromCheckpoint } from '../../src/models/load-checkpoint.js';
import { MAE_ENCODER_FORMAT } from '../../src/models/vit/mae-encoder.js';
import { TimmVisionTransformer } from '../../src/models/vit/timm-vit.js';
import { makeOptimizer, modelOptions } from '../../src/train/build-model.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { writeTinyDataset } from './tiny-dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-mae-ft-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function writeEncoder(name: string): string {
  const folder = join(dir, 'mae', name);
  mkdirSync(folder, { recursive: true });
  const encoder = createModel('vit_tiny_patch16_224', { numClasses: 0, imageSize: 32 });
  try {
    const info = { format: MAE_ENCODER_FORMAT, model: 'vit_tiny_patch16_224', imageSize: 32, patchSize: 16, maskRatio: 0.75, epochs: 2 };
    saveSafetensors(join(folder, 'encoder.safetensors'), Object.fromEntries(encoder.stateEntries()), { 'finegrain-mae': JSON.stringify(info) });
  } finally {
    encoder.dispose();
  }
  return folder;
}

test("layer decay: MAE's param_groups_lrd groups, rates and weight decay", () => {
  const model = createModel('vit_tiny_patch16_224', { numClasses: 3, imageSize: 32, globalPool: 'avg' });
  try {
    const c = parseTrainConfig({ data: 'x', model: 'vit_tiny_patch16_224', optimizer: 'adamw', lr: 1e-3, weightDecay: 0.05, layerDecay: 0.5 });
    const opt = makeOptimizer(c, model);
    try {
      const index = new Map(model.namedParameters().map(([n, p]) => [p, n]));
      const seen = new Map<string, { lr: number; wd: number }>();
      for (const g of opt.paramGroups as unknown as { params: unknown[]; lr: number; weightDecay: number }[])
        for (const p of g.params) seen.set(index.get(p as never)!, { lr: g.lr, wd: g.weightDecay });
      assert.equal(seen.size, model.namedParameters().length, 'every parameter in one group');
      const depth = 12;
      const expect = (name: string, id: number, wd: number) => {
        const got = seen.get(name)!;
        assert.ok(Math.abs(got.lr - 1e-3 * 0.5 ** (depth + 1 - id)) < 1e-15, `${name}: lr ${got.lr}`);
        assert.equal(got.wd, wd, `${name}: weight decay`);
      };
      expect('cls_token', 0, 0);
      expect('pos_embed', 0, 0);
      expect('patch_embed.proj.weight', 0, 0.05);
      expect('patch_embed.proj.bias', 0, 0);
      expect('blocks.0.attn.qkv.weight', 1, 0.05);
      expect('blocks.0.norm1.weight', 1, 0);
      expect('blocks.11.mlp.fc2.weight', 12, 0.05);
      expect('fc_norm.weight', 13, 0);
      expect('head.weight', 13, 0.05);
      expect('head.bias', 13, 0);
    } finally {
      opt.dispose();
    }
  } finally {
    model.dispose();
  }
  // The flags where they do not apply.
  assert.throws(() => modelOptions(parseTrainConfig({ data: 'x', model: 'resnet18', layerDecay: 0.75 }), 3), /--layer-decay applies to Vision Transformers/);
  assert.throws(() => modelOptions(parseTrainConfig({ data: 'x', model: 'vit_b_16', globalPool: 'avg' }), 3), /--global-pool applies to the timm-named ViTs/);
  assert.throws(() => modelOptions(parseTrainConfig({ data: 'x', model: 'vit_b_16', dropPath: 0.1 }), 3), /--drop-path applies/);
  assert.throws(
    () => modelOptions(parseTrainConfig({ data: 'x', model: 'vit_tiny_patch16_224', imageSize: 32, finalImageSize: 64, finalEpochs: 1, epochs: 3 }), 3),
    /sized for one input side/,
  );
  assert.deepEqual(modelOptions(parseTrainConfig({ data: 'x', model: 'vit_tiny_patch16_224', imageSize: 64, dropPath: 0.2 }), 3), {
    numClasses: 3,
    dropRate: 0.2,
    imageSize: 64,
    dropPath: 0.2,
  });
});

test("train from an MAE run folder: the encoder's model and side, MAE's recipe for what is left out, flags win", async () => {
  const data = join(dir, 'data');
  await writeTinyDataset(data, { classes: 3, perClass: 8, size: 40 });
  const folder = writeEncoder('tiny');
  const lines: string[] = [];
  const common = { data, out: join(dir, 'runs'), workers: 1, quiet: true, calibrate: false, epochs: 1, batchSize: 8 };
  const result = await train({ ...common, name: 'mae', pretrained: folder }, { log: (l) => lines.push(l) });
  const config = JSON.parse(readFileSync(join(result.runDir, 'config.json'), 'utf8'));
  assert.equal(config.model, 'vit_tiny_patch16_224');
  assert.equal(config.imageSize, 32);
  assert.equal(config.layerDecay, 0.75);
  assert.equal(config.dropPath, 0.1);
  assert.equal(config.globalPool, 'avg');
  assert.equal(config.optimizer, 'adamw');
  assert.equal(config.weightDecay, 0.05);
  assert.equal(config.labelSmoothing, 0.1);
  assert.equal(config.dropRate, 0);
  assert.equal(config.lr, Number(((1e-3 * 8) / 256).toPrecision(3)));
  assert.equal(config.epochs, 1, 'an explicit value wins over the recipe');
  assert.equal(config.finalImageSize, undefined);
  const log = lines.join('\n');
  assert.match(log, /pretrained: MAE encoder .*vit_tiny_patch16_224, 32 px, patch 16/);
  assert.match(log, /plan: layerDecay 0\.75/);
  assert.match(log, /norm dropped, globalPool 'avg'/);
  assert.match(log, /head starts fresh/);
  const ckpt = loadModelFromCheckpoint(join(result.runDir, 'checkpoints', 'last.safetensors'));
  try {
    const m = ckpt.model as TimmVisionTransformer;
    assert.equal(m.globalPool, 'avg');
    assert.equal(m.imageSize, 32);
  } finally {
    ckpt.model.dispose();
  }

  // Explicit recipe flags win; the encoder's side can change (its position embedding is resized).
  const explicit = await train(
    { ...common, name: 'mae-explicit', pretrained: join(folder, 'encoder.safetensors'), globalPool: 'token', layerDecay: 0.9, dropPath: 0, imageSize: 48 },
    { log: () => {} },
  );
  const c2 = JSON.parse(readFileSync(join(explicit.runDir, 'config.json'), 'utf8'));
  assert.deepEqual([c2.globalPool, c2.layerDecay, c2.dropPath, c2.imageSize], ['token', 0.9, 0, 48]);

  await assert.rejects(
    train({ ...common, name: 'mae-other', pretrained: folder, model: 'vit_small_patch16_224' }, { log: () => {} }),
    /MAE encoder of vit_tiny_patch16_224; vit_small_patch16_224 is another architecture/,
  );
});

test('ViTs train under bf16 autocast: the residual stream stays float32 (LayerNorm gets float32)', () => {
  const models = {
    timm: () => new TimmVisionTransformer({ patchSize: 8, embedDim: 32, depth: 2, numHeads: 2, mlpRatio: 2 }, { numClasses: 3, imageSize: 32, dropPath: 0.1 }),
    torchvision: () => new VisionTransformer({ patchSize: 8, numLayers: 2, numHeads: 2, hiddenDim: 32, mlpDim: 64 }, { numClasses: 3, imageSize: 32 }),
  };
  for (const [name, build] of Object.entries(models)) {
    const m = build();
    try {
      m.train();
      scope(() =>
        autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => {
          const tokens = (m as TimmVisionTransformer | VisionTransformer).forwardTokens(randn([2, 3, 32, 32]));
          assert.equal(tokens.dtype, 'float32', name);
          m.forward(randn([2, 3, 32, 32]))
            .float()
            .sum()
            .backward();
        }),
      );
    } finally {
      m.dispose();
    }
  }
});
