// `finegrain convert` end to end: a nested training checkpoint written by PyTorch becomes a
// safetensors file holding exactly its state dict (and its EMA entry when asked, cast when
// asked); bad input is refused in one line with exit status 2 and no output file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors, scope, type Tensor } from '../../src/index.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { runCli } from './cli-support.js';

function sameBytes(a: Tensor, b: Tensor): boolean {
  const x = a.toTypedArray();
  const y = b.toTypedArray();
  return a.dtype === b.dtype && Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

test('convert: a nested .pth becomes the safetensors of its state dict; bad input changes nothing', { skip: oracleSkip() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-cli-convert-'));
  const p = (n: string) => join(dir, n);
  try {
    scope(() => {
      const o = torchOracle(`
        torch.manual_seed(0)
        m = torchvision.models.mobilenet_v3_small(num_classes=5)
        sd = m.state_dict()
        ema = {k: v * 2 if v.is_floating_point() else v for k, v in sd.items()}
        torch.save({'model': sd, 'model_ema': ema, 'epoch': 4}, ${JSON.stringify(p('ckpt.pth'))})
        for k, v in sd.items():
            outputs[k] = v
        outputs['ema.classifier.3.weight'] = ema['classifier.3.weight']
        outputs['half.classifier.3.weight'] = ema['classifier.3.weight'].half()
      `);
      let r = runCli(['convert', p('ckpt.pth'), p('model.safetensors')]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /entry 'model'.*'model_ema'/);
      assert.match(r.stdout, /wrote .*model\.safetensors: \d+ tensors/);
      const { tensors, metadata } = loadSafetensors(p('model.safetensors'));
      assert.equal(metadata.format, 'zip');
      const expected = Object.keys(o).filter((k) => !k.includes('.classifier.3.weight') || k === 'classifier.3.weight');
      assert.deepEqual(Object.keys(tensors).sort(), expected.filter((k) => !k.startsWith('ema.') && !k.startsWith('half.')).sort());
      for (const [k, t] of Object.entries(tensors)) assert.ok(sameBytes(t, o[k]!), k);

      r = runCli(['convert', `${p('ckpt.pth')}#model_ema`, p('ema.safetensors'), '--dtype', 'float16', '--verify']);
      assert.equal(r.status, 0, r.stderr);
      const ema = loadSafetensors(p('ema.safetensors')).tensors;
      assert.ok(sameBytes(ema['classifier.3.weight']!, o['half.classifier.3.weight']!), 'EMA entry, cast to float16');
      const counter = Object.keys(ema).find((k) => k.endsWith('num_batches_tracked'))!;
      assert.equal(ema[counter]!.dtype, 'int64', 'integers keep their dtype');
    });

    writeFileSync(p('notes.txt'), 'not weights at all, just text that is long enough');
    const bad: [string[], RegExp][] = [
      [['convert', p('missing.pth'), p('o.safetensors')], /weights file not found: .*missing\.pth/],
      [['convert', p('notes.txt'), p('o.safetensors')], /notes\.txt/],
      [['convert', `${p('ckpt.pth')}#optimizer`, p('o.safetensors')], /has no entry 'optimizer'.*model \(\d+ tensors\)/],
      [['convert', p('ckpt.pth'), p('o.bin')], /OUT must end in \.safetensors/],
      [['convert', p('ckpt.pth'), p('o.safetensors'), '--dtype', 'int8'], /--dtype must be one of/],
      [['convert', p('ckpt.pth')], /expected IN and OUT/],
    ];
    for (const [args, message] of bad) {
      const res = runCli(args);
      assert.equal(res.status, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
      assert.equal(res.stderr.trim().split('\n').length, 1, `one line: ${res.stderr}`);
      assert.ok(!existsSync(p('o.safetensors')), 'no output written');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
