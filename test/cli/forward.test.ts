// `finegrain forward` end to end: PyTorch makes a randomly initialised mobilenet_v2 (with
// non-trivial BatchNorm statistics) and a batch; the CLI runs the weights on the batch and its
// output must equal PyTorch's eval-mode forward. Then every documented error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors, randn, saveSafetensors, scope, type Tensor } from '../../src/index.js';
import { assertClose } from '../support/assert-close.js';
import { oracleSkip, torchOracle } from '../support/oracle.js';
import { runCli } from './cli-support.js';

test("forward: the CLI reproduces PyTorch's eval forward of the same weights and batch, then reports bad input clearly", { skip: oracleSkip() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-cli-forward-'));
  const path = (name: string) => join(dir, name);
  try {
    scope(() => {
      const out = torchOracle(`
        torch.manual_seed(0)
        m = torchvision.models.mobilenet_v2(num_classes=10)
        # Give BatchNorm statistics that eval mode must use (fresh ones are the identity).
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.data.uniform_(0.5, 1.5)
                mod.bias.data.uniform_(-0.1, 0.1)
        m.eval()
        x = torch.randn(3, 3, 64, 64)
        with torch.no_grad():
            outputs['expected'] = m(x)
        outputs['x'] = x
        # num_batches_tracked (0-dim int64) stays out, as in state dicts saved without it.
        for k, v in m.state_dict().items():
            if not k.endswith('num_batches_tracked'):
                outputs['w.' + k] = v
      `);
      const weights: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(out)) if (k.startsWith('w.')) weights[k.slice(2)] = v;
      saveSafetensors(path('w.safetensors'), weights);
      saveSafetensors(path('x.safetensors'), { input: out.x! });

      // --num-classes is read from the weights' classifier; --batch-size 2 splits the batch of 3.
      const ok = runCli([
        'forward',
        '--model',
        'mobilenet_v2',
        '--weights',
        path('w.safetensors'),
        '--input',
        path('x.safetensors'),
        '--out',
        path('y.safetensors'),
        '--batch-size',
        '2',
      ]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /mobilenet_v2: input \[3,3,64,64\] -> output \[3,10\]/);
      const { tensors, metadata } = loadSafetensors(path('y.safetensors'));
      assert.deepEqual(Object.keys(tensors), ['output']);
      assert.equal(metadata.model, 'mobilenet_v2');
      assertClose(tensors.output!, out.expected!, { rtol: 1e-4, atol: 1e-5 });

      // Bad inputs, each a clear message and exit status 2.
      saveSafetensors(path('wrong-key.safetensors'), { images: out.x! });
      saveSafetensors(path('wrong-shape.safetensors'), { input: out.x!.reshape([9, 64, 64]) });
      saveSafetensors(path('wrong-dtype.safetensors'), { input: out.x!.to({ dtype: 'float64' }) });
      saveSafetensors(path('wrong-channels.safetensors'), { input: randn([1, 1, 32, 32]) });
      const base = ['--weights', path('w.safetensors'), '--input', path('x.safetensors'), '--out', path('e.safetensors')];
      const cases: [string[], RegExp][] = [
        [
          ['forward', '--model', 'mobilenet_v2', '--weights', path('absent.safetensors'), '--input', path('x.safetensors'), '--out', path('e.safetensors')],
          /weights file not found: .*absent\.safetensors/,
        ],
        [
          ['forward', '--model', 'mobilenet_v2', '--weights', path('w.safetensors'), '--input', path('absent.safetensors'), '--out', path('e.safetensors')],
          /input file not found: .*absent\.safetensors/,
        ],
        [['forward', '--model', 'no_such_net', ...base], /unknown model 'no_such_net'/],
        [
          ['forward', '--model', 'mobilenet_v2', '--weights', path('w.safetensors'), '--input', path('wrong-key.safetensors'), '--out', path('e.safetensors')],
          /has no tensor 'input' \(it holds 'images'\)/,
        ],
        [
          [
            'forward',
            '--model',
            'mobilenet_v2',
            '--weights',
            path('w.safetensors'),
            '--input',
            path('wrong-shape.safetensors'),
            '--out',
            path('e.safetensors'),
          ],
          /'input' must be a non-empty NCHW batch \[N, 3, H, W\], got \[9,64,64\]/,
        ],
        [
          [
            'forward',
            '--model',
            'mobilenet_v2',
            '--weights',
            path('w.safetensors'),
            '--input',
            path('wrong-dtype.safetensors'),
            '--out',
            path('e.safetensors'),
          ],
          /'input' must be float32, got F64/,
        ],
        [
          [
            'forward',
            '--model',
            'mobilenet_v2',
            '--weights',
            path('w.safetensors'),
            '--input',
            path('wrong-channels.safetensors'),
            '--out',
            path('e.safetensors'),
          ],
          /got \[1,1,32,32\]/,
        ],
        [
          ['forward', '--model', 'mobilenet_v3_small', ...base],
          /does not fit mobilenet_v3_small .*missing keys: .*unexpected keys: features\.0\.0\.weight|does not fit mobilenet_v3_small .*(missing|unexpected) keys/,
        ],
        [
          ['forward', '--model', 'mobilenet_v2', '--num-classes', '5', ...base],
          /shape mismatches: classifier\.1\.weight \(module \[5,1280\], dict \[10,1280\]\)/,
        ],
        [
          [
            'forward',
            '--model',
            'mobilenet_v2',
            '--weights',
            path('w.safetensors'),
            '--input',
            path('x.safetensors'),
            '--out',
            join(dir, 'no-dir', 'y.safetensors'),
          ],
          /output folder does not exist/,
        ],
        [['forward', '--model', 'mobilenet_v2'], /missing --weights, --input, --out/],
        [['forward', ...base, '--model', 'mobilenet_v2', '--batch-size', '0'], /--batch-size must be an integer >= 1, got '0'/],
      ];
      for (const [args, message] of cases) {
        const r = runCli(args);
        assert.equal(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
        assert.match(r.stderr, message, args.join(' '));
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'a usage error prints no stack trace');
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'forward: torchvision googlenet and inception_v3 state dicts saved without their auxiliary classifiers load and match PyTorch',
  { skip: oracleSkip() },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-cli-forward-aux-'));
    try {
      for (const [name, side] of [
        ['googlenet', 64],
        ['inception_v3', 80],
      ] as const) {
        scope(() => {
          const out = torchOracle(`
          torch.manual_seed(1)
          m = torchvision.models.${name}(num_classes=7, aux_logits=False, init_weights=True)
          m.eval()
          x = torch.randn(2, 3, ${side}, ${side})
          with torch.no_grad():
              outputs['expected'] = m(x)
          outputs['x'] = x
          for k, v in m.state_dict().items():
              if not k.endswith('num_batches_tracked'):
                  outputs['w.' + k] = v
        `);
          const weights: Record<string, Tensor> = {};
          for (const [k, v] of Object.entries(out)) if (k.startsWith('w.')) weights[k.slice(2)] = v;
          assert.ok(!Object.keys(weights).some((k) => /^aux|^AuxLogits/.test(k)), 'the file has no auxiliary classifier');
          saveSafetensors(join(dir, `${name}.safetensors`), weights);
          saveSafetensors(join(dir, `${name}-x.safetensors`), { input: out.x! });
          const r = runCli([
            'forward',
            '--model',
            name,
            '--weights',
            join(dir, `${name}.safetensors`),
            '--input',
            join(dir, `${name}-x.safetensors`),
            '--out',
            join(dir, `${name}-y.safetensors`),
          ]);
          assert.equal(r.status, 0, r.stderr);
          const { tensors } = loadSafetensors(join(dir, `${name}-y.safetensors`));
          assertClose(tensors.output!, out.expected!, { rtol: 1e-4, atol: 1e-4 });
          tensors.output!.dispose();
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
