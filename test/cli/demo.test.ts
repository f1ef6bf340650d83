/**
 * `finegrain demo --quick`, the README's main job in small: it reads its recipe from
 * recipes/demo.yaml (which `train --config` reads as well), trains, calibrates the model it
 * will offer to serve, answers a photo unlike its data, and prints the serve command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_RECIPE } from '../../src/cli/commands/demo.js';
import { parseTrainConfig, readConfigFile } from '../../src/train/config.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('the demo recipe is a valid train config file', () => {
  const recipe = readConfigFile(DEMO_RECIPE);
  const config = parseTrainConfig({ ...recipe, data: 'photos/' });
  assert.equal(config.crop, 'attention');
  assert.equal(config.model, recipe.model);
});

test('demo --quick: trains with the recipe, calibrates what it offers to serve, answers a stranger photo', { timeout: 300_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'fg-demo-'));
  try {
    const stdout = execFileSync(process.execPath, [MAIN, 'demo', '--quick', '--out', out], { encoding: 'utf8', timeout: 280_000 });
    assert.match(stdout, /^2\. trained regnetx_002 for 2 epochs/m);
    assert.match(stdout, /^3\. calibrated on \d+ validation images: temperature \d+\.\d+/m);
    assert.match(stdout, /^5\. a photo unlike the training data \(.*not-an-organism\.png\): .*score -?\d+\.\d+ against threshold -?\d+\.\d+$/m);
    const best = join(out, 'run/checkpoints/best.safetensors');
    assert.ok(existsSync(best.replace(/\.safetensors$/, '.calibration.safetensors')), 'the served checkpoint has its calibration');
    assert.match(stdout, new RegExp(`finegrain serve --checkpoint ${best.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const config = JSON.parse(readFileSync(join(out, 'run/config.json'), 'utf8')) as { crop: string; cropScale: number };
    assert.equal(config.crop, 'attention', 'the run used the recipe file');
    assert.equal(config.cropScale, 0.4);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
