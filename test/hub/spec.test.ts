import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWeightsSpec, parseWeightsSpec } from '../../src/hub/index.js';
import { throwsWith } from './hub-support.js';

test('isWeightsSpec tells specs from file paths by their prefix', () => {
  for (const s of ['hf-hub:timm/resnet50.a1_in1k', 'hf_hub:timm/x', 'torchvision:resnet50', 'torchvision:oops!', 'https://x.org/a.pth', 'HTTP://x.org/a.pth'])
    assert.ok(isWeightsSpec(s), s);
  for (const s of ['resnet50.safetensors', './hf-hub:x', '/abs/torchvision.pth', 'C:\\w.pth', 'ftp://x/a.pth', '']) assert.ok(!isWeightsSpec(s), s);
});

test('parseWeightsSpec reads all three forms and refuses malformed ones clearly', () => {
  assert.deepEqual(parseWeightsSpec('hf-hub:timm/resnet50.a1_in1k'), { kind: 'hf-hub', repoId: 'timm/resnet50.a1_in1k', revision: 'main' });
  assert.deepEqual(parseWeightsSpec('hf-hub:timm/resnet50.a1_in1k@refs/pr/1'), { kind: 'hf-hub', repoId: 'timm/resnet50.a1_in1k', revision: 'refs/pr/1' });
  assert.deepEqual(parseWeightsSpec('torchvision:resnet50'), { kind: 'torchvision', arch: 'resnet50' });
  assert.deepEqual(parseWeightsSpec('torchvision:resnet50.DEFAULT'), { kind: 'torchvision', arch: 'resnet50' });
  assert.deepEqual(parseWeightsSpec('torchvision:resnet50.IMAGENET1K_V1'), { kind: 'torchvision', arch: 'resnet50', weights: 'IMAGENET1K_V1' });
  assert.deepEqual(parseWeightsSpec('https://x.org/m/a-12ab.pth?download=1'), { kind: 'url', url: 'https://x.org/m/a-12ab.pth?download=1' });
  for (const bad of [
    'hf-hub:resnet50',
    'hf-hub:a/b/c',
    'hf-hub:a/b@',
    'hf-hub:../b',
    'torchvision:',
    'torchvision:resnet50.V1.x',
    'https://x.org/',
    'resnet50',
  ]) {
    const e = throwsWith(() => parseWeightsSpec(bad), 'BAD_SPEC');
    assert.ok(e.message.includes(bad) || e.message.includes(bad.replace(/^hf-hub:/, '')), `${bad}: ${e.message}`);
  }
});
