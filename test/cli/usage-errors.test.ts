// A user's mistake prints one clear line and no stack trace (exit status 2); every command's
// --help describes its options and shows an example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/main.js';
import { writeTinyDataset } from '../train/tiny-dataset.js';
import { runCli } from './cli-support.js';

test('usage errors: one line, no stack trace, exit status 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-usage-'));
  try {
    mkdirSync(join(dir, 'empty'));
    await writeTinyDataset(join(dir, 'one'), { classes: 1, perClass: 4 });
    const cases: [string[], RegExp][] = [
      [['train', '--data', join(dir, 'empty')], /finegrain train: .*(no class|no images|empty)/i],
      [['train', '--data', join(dir, 'one')], /finegrain train: .*1 usable class .*at least 2 needed/],
      [['train', '--data', join(dir, 'absent')], /finegrain train: data not found: /],
      [['train', '--data', join(dir, 'one'), '--no-such-flag', '1'], /finegrain train: unknown option --no-such-flag/],
      [['train', '--data', join(dir, 'one'), '--crop', 'circle'], /finegrain train: invalid training configuration:\n\s+crop: /],
      [['train', '--resume', join(dir, 'absent')], /no run there/],
      [['synth', '--classes', '2'], /finegrain synth: synth: --out is required/],
      [['models', '--filter', 'no_such_family'], /no registered model name contains 'no_such_family'/],
      [['pretrain', '--method', 'mae', '--data', join(dir, 'empty'), '--out', join(dir, 'runs')], /finegrain pretrain: .*no images found/],
      [['pretrain', '--method', 'mae', '--data', join(dir, 'one'), '--mask-ratio', '1'], /finegrain pretrain: invalid MAE configuration:\n\s+maskRatio: /],
      [['pretrain', '--data', join(dir, 'one')], /finegrain pretrain: --method is required/],
      [['serve', '--checkpoint', join(dir, 'absent.safetensors'), '--gc-interval-ms', '-1'], /finegrain serve: --gc-interval-ms must be an integer >= 0/],
      [['serve', '--checkpoint', join(dir, 'absent.safetensors'), '--batch-sizes', '8,x'], /finegrain serve: --batch-sizes must be an integer >= 1, got 'x'/],
      [
        ['serve', '--checkpoint', join(dir, 'absent.safetensors'), '--max-batch', '8', '--batch-sizes', '4,2'],
        /finegrain serve: --batch-sizes must have --max-batch \(8\) as its largest size/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(' ')} prints no stack trace`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every command explains itself: --help lists its options with descriptions and shows an example', () => {
  for (const name of Object.keys(COMMANDS)) {
    const r = runCli([name, '--help']);
    assert.equal(r.status, 0, `${name} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`usage: finegrain ${name}`), name);
    assert.match(r.stdout, /\n\s+--[a-z-]+ .*\S/, `${name} --help describes options`);
    assert.match(r.stdout, /example/i, `${name} --help shows an example`);
  }
  const train = runCli(['train', '--help']).stdout;
  assert.match(train, /--crop random\|attention\|scda\s+training crops: .*\(default random\)/, 'allowed values, description and default');
  assert.match(train, /--augment none\|autoaugment\|randaugment\|trivialaugment\s+\S.*\(default autoaugment\)/);
});
