// The PyTorch-checkpoint-to-safetensors script documented in src/models/pretrained/README.md
// (the variant that needs only PyTorch), run as written: a torchvision resnet18 checkpoint
// converted by it loads into finegrain's resnet18 and computes PyTorch's logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, noGrad, scope } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { assertClose } from '../support/assert-close.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';

// build/test/models/ -> the repository's src/models/pretrained/README.md
const README = fileURLToPath(new URL('../../../src/models/pretrained/README.md', import.meta.url));
const PYTHON = process.env.FINEGRAIN_ORACLE_PYTHON ?? '/usr/bin/python3';

/** The heredoc body after `python3 - m.pth m.safetensors <<'EOF'` in the README. */
function documentedScript(): string {
  const text = readFileSync(README, 'utf8');
  const m = text.match(/python3 - m\.pth m\.safetensors <<'EOF'\n([\s\S]*?)\nEOF\n/);
  assert.ok(m, `no conversion script found in ${README}`);
  return m[1]!;
}

test('the README conversion script turns a torchvision checkpoint into safetensors finegrain loads', { skip: oracleSkip() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-convert-'));
  const pth = join(dir, 'm.pth');
  const out = join(dir, 'm.safetensors');
  try {
    scope(() => {
      const { x, expected } = torchOracle(`
        torch.manual_seed(0)
        m = torchvision.models.resnet18(num_classes=10)
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
                mod.num_batches_tracked += 7
        sd = m.state_dict()
        sd['extra.bf16'] = torch.arange(6, dtype=torch.bfloat16).reshape(2, 3)
        sd['extra.flags'] = torch.tensor([True, False, True])
        torch.save(sd, ${JSON.stringify(pth)})
        m.eval()
        outputs['x'] = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            outputs['expected'] = m(outputs['x'])
      `);
      execFileSync(PYTHON, ['-', pth, out], { input: documentedScript(), stdio: ['pipe', 'pipe', 'pipe'] });
      const { tensors } = loadSafetensors(out);
      assert.deepEqual(tensors['extra.bf16']!.to({ dtype: 'float32' }).toArray(), [
        [0, 1, 2],
        [3, 4, 5],
      ]);
      assert.deepEqual(tensors['extra.flags']!.toArray(), [true, false, true]);
      assert.equal(tensors['bn1.num_batches_tracked']!.item(), 7);
      // The extra tensors are not resnet18's: drop them, and the rest loads strictly.
      const model = createModel('resnet18', { numClasses: 10 });
      const weights = Object.fromEntries(Object.entries(tensors).filter(([k]) => !k.startsWith('extra.')));
      model.loadStateDict(weights);
      model.eval();
      assertClose(
        noGrad(() => model.forward(x!)),
        expected!,
        { rtol: 1e-4, atol: 1e-5 },
      );
      model.dispose();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
