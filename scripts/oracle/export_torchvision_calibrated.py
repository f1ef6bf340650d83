#!/usr/bin/env python3
"""Exports a torchvision classifier whose random weights exercise every layer, for parity tests.

    /usr/bin/python3 scripts/oracle/export_torchvision_calibrated.py NAME[:S][,NAME[:S]...] OUT_DIR
        [--image-size S] [--num-classes N] [--batch B] [--lookahead K] [--threads T]
        [--kwargs JSON] [--image-size-arg] [--embedding-of PATH] [--train-output]

A companion of export_torchvision.py, with the same files, names, writer and streaming
(`NAME:S`, --lookahead: see there), for the families whose torchvision initialisation would
make a parity test blind:

  * constant parameters are re-drawn: zero-initialised heads (ViT's `heads.head`), LayerNorm
    weights and biases, ConvNeXt's `layer_scale` (1e-6 would hide every block), class tokens.
    Zeros become N(0, 0.05²), ±1 becomes ±U(0.75, 1.25), any other constant c becomes
    sign(c)·U(0.5, 1);
  * BatchNorm running statistics are measured on a random batch (one training-mode pass with
    cumulative averaging) instead of drawn, so activations keep their scale through deep
    networks initialised with tiny weights (GoogLeNet's N(0, 0.01²)) and the output depends on
    the input; the affine parameters and batch counters are then drawn as export_torchvision.py
    does. Auxiliary heads sit that pass out (eval mode never runs them).

OUT_DIR/NAME.safetensors holds the state dict; OUT_DIR/NAME.io.safetensors holds `input`
[B, 3, S, S], `output` (eval mode) and:

  * with --embedding-of PATH, `embedding`: the input of the module at PATH (the classifier)
    in eval mode;
  * with --train-output, the training-mode outputs with every dropout and stochastic depth at
    0 (taken after the state dict, as the pass updates running statistics): `train_output`
    and, for models with auxiliary classifiers, `train_aux1` and `train_aux2` (GoogLeNet's aux1
    and aux2 modules) or `train_aux` (Inception v3).

--kwargs passes constructor arguments (JSON); --image-size-arg also passes image_size=S (ViT).
"""
import argparse
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import write_safetensors  # noqa: E402

AUX_HEADS = ('aux1', 'aux2', 'AuxLogits')


def redraw_constants(model, g):
    with torch.no_grad():
        for p in model.parameters():
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
    # Inception v3's aux head would need a 299x299 input; eval mode never runs the heads.
    aux = {k: getattr(model, k) for k in AUX_HEADS if getattr(model, k, None) is not None}
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


def train_outputs(model, x):
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout) or type(m).__name__ == 'StochasticDepth':
            m.p = 0.0
    model.train()
    with torch.no_grad():
        out = model(x)
    if not isinstance(out, tuple):
        return {'train_output': out}
    if len(out) == 2:  # InceptionOutputs(logits, aux_logits)
        return {'train_output': out[0], 'train_aux': out[1]}
    # GoogLeNetOutputs: torchvision swaps the names twice, so its field `aux_logits2` holds
    # module aux1's output and `aux_logits1` aux2's. Exported by module name.
    return {'train_output': out[0], 'train_aux1': out[1], 'train_aux2': out[2]}


def export(name, out_dir, image_size, args):
    torch.manual_seed(0)
    kwargs = dict(json.loads(args.kwargs))
    if args.image_size_arg:
        kwargs['image_size'] = image_size
    model = torchvision.models.get_model(name, weights=None, num_classes=args.num_classes, **kwargs)
    g = torch.Generator().manual_seed(1)
    redraw_constants(model, g)
    calibrate_batchnorm(model, image_size, g)
    model.eval()
    x = torch.randn(args.batch, 3, image_size, image_size, generator=g)
    captured = {}
    if args.embedding_of:
        hook = model.get_submodule(args.embedding_of).register_forward_pre_hook(lambda _m, a: captured.update(embedding=a[0]))
    with torch.no_grad():
        y = model(x)
    if args.embedding_of:
        hook.remove()
    # The training-mode pass below updates running statistics: keep a copy of the state first.
    state = {k: v.clone() for k, v in model.state_dict().items()} if args.train_output else model.state_dict()
    io = {'input': x, 'output': y, **captured}
    if args.train_output:
        io.update(train_outputs(model, x))
    meta = {'model': name, 'torchvision': torchvision.__version__, 'image_size': str(image_size), 'num_classes': str(args.num_classes),
            'num_params': str(sum(p.numel() for p in model.parameters())), 'kwargs': json.dumps(kwargs)}
    path = os.path.join(out_dir, name + '.safetensors')
    write_safetensors(os.path.join(out_dir, name + '.io.safetensors'), io, meta)
    write_safetensors(path, state, meta)
    print(path, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('names', help='torchvision model name(s), comma-separated, each optionally NAME:S')
    parser.add_argument('out_dir')
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--num-classes', type=int, default=1000)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--lookahead', type=int, default=-1, help='export at most K models ahead of stdin acknowledgements')
    parser.add_argument('--threads', type=int, default=0, help='torch threads (default: torch decides)')
    parser.add_argument('--kwargs', default='{}', help='JSON object of extra constructor arguments')
    parser.add_argument('--image-size-arg', action='store_true', help='pass image_size=S to the constructor (ViT)')
    parser.add_argument('--embedding-of', default='', help='dotted path of the module whose input is exported as `embedding`')
    parser.add_argument('--train-output', action='store_true', help='also export training-mode outputs (dropout off)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)
    acknowledged = 0
    for i, spec in enumerate(args.names.split(',')):
        while args.lookahead >= 0 and i - acknowledged > args.lookahead:
            if not sys.stdin.readline():
                return 0  # the reader has gone: stop quietly
            acknowledged += 1
        name, _, size = spec.partition(':')
        export(name, args.out_dir, int(size) if size else args.image_size, args)


if __name__ == '__main__':
    sys.exit(main())
