// `finegrain export`: ONNX from plain weights, a Triton repository, int8 with calibration images, --help and usage errors.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { parseExportMetadata } from '../../src/export/metadata.js';
import { readOnnxMetadataProps } from '../../src/export/read-metadata.js';
import { saveSafetensors } from '../../src/io/safetensors/save.js';
import { createModel } from '../../src/models/registry.js';
import { saveCheckpoint } from '../../src/models/checkpoint/checkpoint.js';
import { runCli } from './cli-support.js';

let dir = '';
let weights = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-cli-export-'));
  weights = join(dir, 'w.safetensors');
  const model = createModel('mobilenet_v3_small', { numClasses: 3 });
  saveSafetensors(weights, model.stateDict());
  model.dispose();
  writeFileSync(join(dir, 'classes.txt'), 'wren\nrobin\nfinch\n');
  mkdirSync(join(dir, 'calib'));
  for (let i = 0; i < 6; i++) {
    const pixels = Buffer.alloc(40 * 40 * 3);
    for (let k = 0; k < pixels.length; k++) pixels[k] = (k * (i + 7) * 2654435761) >>> 24;
    await sharp(pixels, { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(join(dir, 'calib', `img${i}.png`));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const base = () => ['export', '--model', 'mobilenet_v3_small', '--weights', weights, '--image-size', '64'];

test('--help describes every option with its default and allowed values', () => {
  const r = runCli(['export', '--help']);
  assert.equal(r.status, 0);
  for (const flag of [
    '--checkpoint',
    '--model',
    '--weights',
    '--num-classes',
    '--classes',
    '--out',
    '--format',
    '--image-size',
    '--calibration',
    '--quantize',
    '--calibration-data',
    '--calibration-images',
    '--calibration-method',
    '--name',
    '--max-batch-size',
    '--max-queue-delay-us',
  ]) {
    assert.match(r.stdout, new RegExp(`^  ${flag} `, 'm'), `${flag} documented`);
  }
  assert.match(r.stdout, /onnx \| triton \(default onnx\)/);
  assert.match(r.stdout, /none \| int8/);
});

test('exports plain weights to ONNX with classes and calibration in the metadata', async () => {
  const out = join(dir, 'm.onnx');
  writeFileSync(join(dir, 'cal.json'), '{"thresholds":{"msp":0.3}}');
  const r = runCli([...base(), '--classes', join(dir, 'classes.txt'), '--calibration', join(dir, 'cal.json'), '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /mobilenet_v3_small: \d+ nodes, 3 classes, 64px -> /);
  const meta = parseExportMetadata(readOnnxMetadataProps(out));
  assert.deepEqual(meta.classes, ['wren', 'robin', 'finch']);
  assert.equal(meta.calibration, '{"thresholds":{"msp":0.3}}');
  assert.deepEqual(meta.preprocessing.inputSize, [64, 64]);
  const session = await ort.InferenceSession.create(out);
  const res = await session.run({ input: new ort.Tensor('float32', new Float32Array(2 * 3 * 64 * 64), [2, 3, 64, 64]) });
  assert.deepEqual(res.logits!.dims, [2, 3]);
  await session.release();
});

test('--checkpoint takes classes, input size, normalisation and calibration from the checkpoint', () => {
  const ckpt = join(dir, 'best.safetensors');
  const model = createModel('mobilenet_v3_small', { numClasses: 2 });
  const calibration = { method: 'energy', threshold: -4.25 };
  saveCheckpoint(ckpt, {
    model,
    meta: {
      model: 'mobilenet_v3_small',
      modelOptions: { numClasses: 2 },
      classes: ['gull', 'tern'],
      imageSize: 48,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
      preprocess: { inputSize: 48, interpolation: 'bilinear', cropFraction: 1, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
      epoch: 1,
      step: 10,
      calibration,
    },
  });
  model.dispose();
  const out = join(dir, 'ckpt.onnx');
  const r = runCli(['export', '--checkpoint', ckpt, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const meta = parseExportMetadata(readOnnxMetadataProps(out));
  assert.deepEqual(meta.classes, ['gull', 'tern']);
  assert.deepEqual(meta.preprocessing.inputSize, [48, 48]);
  assert.deepEqual(meta.preprocessing.mean, [0.5, 0.5, 0.5]);
  assert.deepEqual(JSON.parse(meta.calibration!), calibration);
  const both = runCli(['export', '--checkpoint', ckpt, '--model', 'resnet18', '--out', out]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /either --checkpoint or --model/);
});

test('--format triton writes a model repository', () => {
  const out = join(dir, 'repo');
  const r = runCli([...base(), '--format', 'triton', '--name', 'birds', '--max-batch-size', '4', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(out, 'birds/1/model.onnx')));
  assert.match(readFileSync(join(out, 'birds/config.pbtxt'), 'utf8'), /max_batch_size: 4/);
  assert.equal(readFileSync(join(out, 'birds/labels.txt'), 'utf8'), '0\n1\n2\n');
});

test('--quantize int8 calibrates on a folder of images and writes a QDQ model', async () => {
  const out = join(dir, 'q.onnx');
  const r = runCli([...base(), '--quantize', 'int8', '--calibration-data', join(dir, 'calib'), '--calibration-images', '6', '--out', out], {
    timeoutMs: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(parseExportMetadata(readOnnxMetadataProps(out)).precision, 'int8');
  const session = await ort.InferenceSession.create(out);
  const res = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * 64 * 64).fill(0.1), [1, 3, 64, 64]) });
  assert.ok((res.logits!.data as Float32Array).every(Number.isFinite));
  await session.release();
});

test('usage errors name the problem', () => {
  const cases: [string[], RegExp][] = [
    [['export', '--model', 'mobilenet_v3_small', '--weights', weights], /missing --out/],
    [[...base(), '--out', join(dir, 'x.onnx'), '--format', 'tflite'], /--format must be one of onnx, triton, got 'tflite'/],
    [[...base(), '--out', join(dir, 'x.onnx'), '--quantize', 'int8'], /--quantize int8 needs --calibration-data/],
    [['export', '--model', 'no_such_net', '--weights', weights, '--out', join(dir, 'x.onnx')], /unknown model 'no_such_net'/],
    [['export', '--checkpoint', join(dir, 'missing.safetensors'), '--out', join(dir, 'x.onnx')], /checkpoint not found/],
    [[...base(), '--out', join(dir, 'no/such/dir/x.onnx')], /output folder does not exist/],
    [[...base(), '--classes', join(dir, 'cal.json'), '--out', join(dir, 'x.onnx')], /lists 1 classes but the model has 3 outputs/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(join(dir, 'x.onnx')));
  }
});
