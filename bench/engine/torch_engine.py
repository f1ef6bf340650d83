"""PyTorch side of bench/engine: the same work as bench/engine/workloads.ts, written the way a
PyTorch user would write it, timed inside this process.

bench/engine/run.ts starts this script once (with Debian's /usr/bin/python3) and sends one JSON
request per line on stdin; each answer is one JSON line on stdout. Keeping one long-lived
process lets the driver alternate Node and Python blocks without paying Python's start-up or
PyTorch's warm-up again, and means only one side computes at a time.

Requests: {"cmd": "info"}, {"cmd": "threads", "n": 2}, {"cmd": "conv_setup", ...},
{"cmd": "conv", "key": ..., "warmup": 1, "iters": 5}, {"cmd": "add", ...}, {"cmd": "quit"}.
"""
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_worker import CASES, dtype_name, serve  # noqa: E402  (bench/torch_worker.py)


def synchronize(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


class ConvCase:
    """conv2d forward + backward on fixed tensors; grads are set to None after each step,
    as optimizer.zero_grad(set_to_none=True) does."""

    def __init__(self, req):
        shape = req["shape"]
        self.device = req["device"]
        self.autocast = req["mode"] == "bf16-channels-last"
        self.padding = shape["padding"]
        fmt = torch.channels_last if self.autocast else torch.contiguous_format
        n, cin, cout, size, k = shape["batch"], shape["inChannels"], shape["outChannels"], shape["size"], shape["kernel"]
        torch.manual_seed(0)
        self.x = torch.randn(n, cin, size, size, device=self.device).contiguous(memory_format=fmt).requires_grad_()
        self.w = (torch.randn(cout, cin, k, k, device=self.device) * 0.05).contiguous(memory_format=fmt).requires_grad_()
        self.b = torch.zeros(cout, device=self.device, requires_grad=True)
        with torch.no_grad():
            y = self.forward()
        self.grad_out = torch.randn(y.shape, device=self.device).to(y.dtype).contiguous(memory_format=fmt)

    def forward(self):
        if self.autocast:
            with torch.autocast(device_type=self.device.split(":")[0], dtype=torch.bfloat16):
                return F.conv2d(self.x, self.w, self.b, padding=self.padding)
        return F.conv2d(self.x, self.w, self.b, padding=self.padding)

    def step(self):
        y = self.forward()
        y.backward(self.grad_out)
        self.x.grad = None
        self.w.grad = None
        self.b.grad = None

    def signature(self):
        """What the step computes, so the driver can check both sides do the same work."""
        y = self.forward()
        y.backward(self.grad_out)
        sig = {
            "y": [dtype_name(y.dtype), list(y.shape), list(y.stride())],
            "gradOut": [dtype_name(self.grad_out.dtype), list(self.grad_out.shape), list(self.grad_out.stride())],
            "xGrad": [dtype_name(self.x.grad.dtype), list(self.x.grad.shape), list(self.x.grad.stride())],
            "wGrad": [dtype_name(self.w.grad.dtype), list(self.w.grad.shape), list(self.w.grad.stride())],
        }
        self.x.grad = self.w.grad = self.b.grad = None
        return sig


def conv_setup(req):
    case = ConvCase(req)
    for _ in range(int(req.get("warmup", 2))):
        case.step()
    synchronize(case.device)
    CASES[req["key"]] = case
    return {"signature": case.signature()}


def conv(req):
    case = CASES[req["key"]]
    for _ in range(int(req["warmup"])):
        case.step()
    times = []
    for _ in range(int(req["iters"])):
        synchronize(case.device)
        start = time.perf_counter_ns()
        case.step()
        synchronize(case.device)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return {"ms": times}


def add(req):
    """`c = a + b` on 4-element tensors; rebinding c frees the previous result."""
    n = int(req["n"])
    a = torch.randn(req["numel"])
    b = torch.randn(req["numel"])
    times = []
    for rep in range(int(req["warmup"]) + int(req["loops"])):
        start = time.perf_counter_ns()
        for _ in range(n):
            c = a + b
        elapsed = time.perf_counter_ns() - start
        del c
        if rep >= int(req["warmup"]):
            times.append(elapsed / n)
    return {"nsPerOp": times}


if __name__ == "__main__":
    serve({"conv_setup": conv_setup, "conv": conv, "add": add})
