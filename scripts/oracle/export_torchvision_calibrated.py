#!/usr/bin/env python3
"""Exports a torchvision classifier whose random weights exercise every layer, for parity tests.

    /usr/bin/python3 scripts/oracle/export_torchvision_calibrated.py NAME[,NAME...] OUT_DIR
        [--image-size S] [--num-classes N] [--kwargs JSON] [--embedding-of PATH] [--train-output]

A companion of export_torchvision.py (same file layout, same writer) for the families whose
torchvision initialisation would make a parity test blind:

  * constant parameters are re-drawn: zero-initialised heads (ViT's `heads.head`), LayerNorm
    weights and biases, ConvNeXt's `layer_scale` (1e-6 would hide every block), class tokens.
    Zeros become N(0, 0.05²), ±1 becomes ±U(0.75, 1.25), any other constant c becomes
    sign(c)·U(0.5, 1);
  * BatchNorm running statistics are measured on a random batch (momentum None, one
    training-mode pass) instead of drawn, so that activations keep unit scale through deep
    networks initialised with tiny weights (GoogLeNet's N(0, 0.01²)) and the output depends
    on the input; then the affine parameters and batch counters are perturbed as in
    export_torchvision.py.

Besides the state dict, `__input__` [2, 3, S, S] and `__output__` (eval mode), it writes
`__embedding__`, the input of the module at `--embedding-of` (the classifier) in eval mode, and
with `--train-output` the training-mode outputs with every dropout and stochastic depth set to
0: `__train_output__` and, for models returning auxiliary logits, `__train_aux1__`,
`__train_aux2__` (GoogLeNet) or `__train_aux__` (Inception v3). The state dict is taken before
that pass (which updates running statistics). `--kwargs` passes constructor arguments, e.g.
'{"image_size": 64}' for ViT.
"""
import argparse
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import write_safetensors  # noqa: E402


def redraw_constants(model, g):
    with torch.no_grad():
        for _, p in model.named_parameters():
            flat = p.reshape(-1)
            if flat.numel() == 0 or not bool((flat == flat[0]).all()):
                continue
            c = float(flat[0])
            if c == 0:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
            elif abs(c) == 1:
                p.copy_(c * (torch.rand(p.shape, generator=g) * 0.5 + 0.75))
            else:
                p.copy_((1 if c > 0 else -1) * (torch.rand(p.shape, generator=g) * 0.5 + 0.5))


def calibrate_batchnorm(model, image_size, g):
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one batch, exactly its statistics
    # Auxiliary heads run in training mode but are not needed for the statistics that matter
    # (eval mode skips them; training mode uses batch statistics), and Inception v3's needs a
    # 299x299 input: they sit the calibration pass out.
    aux = {k: getattr(model, k) for k in ('aux1', 'aux2', 'AuxLogits') if getattr(model, k, None) is not None}
    for k in aux:
        setattr(model, k, None)
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, image_size, image_size, generator=g))
    for k, m in aux.items():
        setattr(model, k, m)
    with torch.no_grad():
        for m in bns:
            m.momentum = 0.1
            c = m.num_features
            if m.weight is not None:
                m.weight.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(c, generator=g) * 0.1)
            m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=g)))


def export(name, out_dir, image_size, num_classes, kwargs, embedding_of, train_output):
    torch.manual_seed(0)
    model = torchvision.models.get_model(name, weights=None, num_classes=num_classes, **kwargs)
    g = torch.Generator().manual_seed(1)
    redraw_constants(model, g)
    calibrate_batchnorm(model, image_size, g)
    model.eval()
    x = torch.randn(2, 3, image_size, image_size, generator=g)
    captured = {}
    if embedding_of:
        hook = model.get_submodule(embedding_of).register_forward_pre_hook(lambda _m, args: captured.update(emb=args[0]))
    with torch.no_grad():
        y = model(x)
    if embedding_of:
        hook.remove()
    tensors = {k: v.clone() for k, v in model.state_dict().items()}
    tensors['__input__'] = x
    tensors['__output__'] = y
    if embedding_of:
        tensors['__embedding__'] = captured['emb']
    if train_output:
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
            if type(m).__name__ == 'StochasticDepth':
                m.p = 0.0
        model.train()
        with torch.no_grad():
            out = model(x)
        if isinstance(out, tuple):  # GoogLeNetOutputs / InceptionOutputs
            tensors['__train_output__'] = out[0]
            if len(out) == 3:
                # torchvision swaps the names twice: the field `aux_logits2` holds module aux1's
                # output and `aux_logits1` aux2's. Exported by module name.
                tensors['__train_aux1__'], tensors['__train_aux2__'] = out[1], out[2]
            else:
                tensors['__train_aux__'] = out[1]
        else:
            tensors['__train_output__'] = out
    meta = {'model': name, 'torchvision': torchvision.__version__, 'image_size': str(image_size), 'num_classes': str(num_classes),
            'num_params': str(sum(p.numel() for p in model.parameters())), 'kwargs': json.dumps(kwargs)}
    path = os.path.join(out_dir, name + '.safetensors')
    write_safetensors(path, tensors, meta)
    print(path, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('names', help='torchvision model name(s), comma-separated')
    parser.add_argument('out_dir')
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--num-classes', type=int, default=1000)
    parser.add_argument('--kwargs', default='{}', help='JSON object of extra constructor arguments')
    parser.add_argument('--embedding-of', default='', help='dotted path of the module whose input is exported as __embedding__')
    parser.add_argument('--train-output', action='store_true', help='also export training-mode outputs (dropout off)')
    parser.add_argument('--threads', type=int, default=0, help='torch threads (default: torch decides)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)
    for name in args.names.split(','):
        export(name, args.out_dir, args.image_size, args.num_classes, json.loads(args.kwargs), args.embedding_of, args.train_output)


if __name__ == '__main__':
    sys.exit(main())
