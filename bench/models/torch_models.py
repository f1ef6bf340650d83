"""PyTorch side of bench/models: the training step of bench/models/workloads.ts written the
way a PyTorch user writes it (torchvision model, torch.optim.SGD, F.cross_entropy, optional
bfloat16 autocast on channels-last tensors), timed inside this process.

bench/models/run.ts starts this script once under Debian's /usr/bin/python3 and sends one
JSON request per line on stdin; each answer is one JSON line on stdout, so Node and Python
never compute at the same time.

Requests: {"cmd": "info"}, {"cmd": "threads", "n": 2}, {"cmd": "setup", "key", "model",
"batch", "size", "mode", "sgd", "numClasses", "device"}, {"cmd": "steps", "key", "warmup", "iters"},
{"cmd": "drop", "key"}, {"cmd": "quit"}.
"""
import contextlib
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_worker import CASES, dtype_name, info, serve  # noqa: E402  (bench/torch_worker.py)


class TrainCase:
    """One model, batch and optimiser; `step` is one SGD step on a fixed random batch."""

    def __init__(self, req):
        self.bf16 = req["mode"] == "bf16-channels-last"
        # "cpu" or "cuda": the model and the fixed batch live there (as on finegrain's side).
        self.device = req.get("device", "cpu")
        self.fmt = torch.channels_last if self.bf16 else torch.contiguous_format
        self.model = getattr(torchvision.models, req["model"])(num_classes=int(req["numClasses"]))
        self.model = self.model.to(device=self.device, memory_format=self.fmt).train()
        sgd = req["sgd"]
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=sgd["lr"], momentum=sgd["momentum"], weight_decay=sgd["weightDecay"])
        n, size = int(req["batch"]), int(req["size"])
        self.x = torch.randn(n, 3, size, size, device=self.device)
        self.y = torch.randint(0, int(req["numClasses"]), (n,), device=self.device)

    def forward_loss(self):
        x = self.x.contiguous(memory_format=self.fmt)
        ctx = torch.autocast(self.device, dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()
        with ctx:
            logits = self.model(x)
        logits = logits.float()
        return logits, F.cross_entropy(logits, self.y)

    def step(self):
        _, loss = self.forward_loss()
        loss.backward()
        self.optimizer.step()
        # Gradients dropped, not zeroed (PyTorch 2's default, and what finegrain's zeroGrad does).
        self.optimizer.zero_grad(set_to_none=True)
        return loss.item()  # on CUDA this waits for the step's kernels

    def signature(self):
        logits, loss = self.forward_loss()
        loss.backward()
        conv = next(p for p in self.model.parameters() if p.dim() == 4)
        g = conv.grad
        sig = {
            "params": sum(p.numel() for p in self.model.parameters()),
            "logits": [dtype_name(logits.dtype), list(logits.shape)],
            "loss": dtype_name(loss.dtype),
            "firstConvGrad": [dtype_name(g.dtype), list(g.shape), list(g.stride())],
        }
        self.optimizer.zero_grad(set_to_none=True)
        return sig


def setup(req):
    case = TrainCase(req)
    for _ in range(int(req.get("warmup", 1))):
        case.step()
    CASES[req["key"]] = case
    return {"signature": case.signature()}


def steps(req):
    case = CASES[req["key"]]
    for _ in range(int(req["warmup"])):
        case.step()
    times = []
    for _ in range(int(req["iters"])):
        start = time.perf_counter_ns()
        case.step()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return {"ms": times}


if __name__ == "__main__":
    serve({"info": lambda req: info(req, {"torchvisionVersion": torchvision.__version__}), "setup": setup, "steps": steps})
