/**
 * Checking timm-named models without timm: the test writes the reference architecture in
 * PyTorch (following timm's module definitions, with timm's attribute names), and this file
 * runs it through the oracle with the finegrain model's own weights. `load_state_dict` is
 * strict, so the comparison also checks that every state-dict key is timm's.
 *
 * Random weights at PyTorch's default initialisation shrink activations layer after layer;
 * `calibrateBatchNorm` sets every BatchNorm's running statistics to those of a random batch
 * (and draws its affine parameters), so the eval output depends on the input all the way down.
 *
 * @example
 *   calibrateBatchNorm(model, randn([4, 3, 75, 75]));
 *   const ref = timmReference(PYTHON_DEFS, 'InceptionV4(num_classes=10)', model, x);
 *   assertParity(model.forward(x), ref.y);
 */
import { noGrad, scope, type Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';
import { BatchNorm2d } from '../../src/nn/layers/batch-norm.js';
import { torchOracle } from '../support/oracle.js';

/** Running statistics from one training-mode pass over `x`; affine U(0.75, 1.25) and N(0, 0.1²). */
export function calibrateBatchNorm(model: Module, x: Tensor): void {
  const bns = model.modules().filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
  noGrad(() =>
    scope(() => {
      for (const bn of bns) {
        bn.running_mean!.zero_();
        bn.running_var!.fill_(1);
        bn.num_batches_tracked!.zero_();
        bn.momentum = null; // cumulative: after one batch, exactly its statistics
      }
      model.train();
      model.forward(x);
      model.eval();
      for (const bn of bns) {
        bn.momentum = 0.1;
        bn.weight!.uniform_(0.75, 1.25);
        bn.bias!.normal_(0, 0.1);
      }
    }),
  );
}

export interface TimmReference {
  /** The reference model's eval output on `x`. */
  y: Tensor;
  /** Its pooled embedding (the classifier's input). */
  embedding: Tensor;
  /** Its parameter count, as a one-element tensor. */
  numParams: Tensor;
}

/**
 * Builds `constructor` (a Python expression over `definitions`) under the oracle, loads
 * `model`'s state dict into it strictly, and returns its eval output and embedding on `x`;
 * the classifier is the reference's `last_linear`.
 */
export function timmReference(definitions: string, constructor: string, model: Module, x: Tensor): TimmReference {
  const code = `${dedent(definitions)}
ref = ${constructor}
ref.load_state_dict({k: v for k, v in inputs.items() if k != '__x__'}, strict=True)
ref.eval()
_emb = {}
ref.last_linear.register_forward_pre_hook(lambda _m, a: _emb.update(e=a[0]))
with torch.no_grad():
    outputs['y'] = ref(inputs['__x__'])
outputs['embedding'] = _emb['e']
outputs['numParams'] = torch.tensor([sum(p.numel() for p in ref.parameters())], dtype=torch.float64)
`;
  return scope(() => {
    const state = Object.fromEntries(model.stateEntries().map(([k, t]) => [k, t.detach()]));
    const out = torchOracle(code, { ...state, __x__: x });
    return { y: out.y!, embedding: out.embedding!, numParams: out.numParams! };
  });
}

// Python written inside a template literal carries the TypeScript indentation.
function dedent(code: string): string {
  const lines = code.split('\n');
  const pad = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(pad)).join('\n');
}
