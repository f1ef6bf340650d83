"""bench/infer's PyTorch contender, one per child process (so its peak memory is its own):
the torchvision model with the benchmark's weights (the safetensors file finegrain's contenders
load), run the way a PyTorch user writes inference:

  fp32:  model.eval(), torch.no_grad(), model(x)  (PyTorch's eager default);
  bf16-channels-last:  the model and input in channels-last, torch.autocast("cpu", bfloat16).

Driven by bench/infer/run.ts through bench/torch_worker.py's request loop: {"cmd": "setup",
"mode", "model", "weights", "input", "batch", "size", "numClasses", "threads", "warmup"},
{"cmd": "time", "iters"}, {"cmd": "memory"}, {"cmd": "quit"}.
"""
import contextlib
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_worker import serve  # noqa: E402  (bench/torch_worker.py)

DTYPES = {"F32": torch.float32, "I64": torch.int64}
STATE = {}


def memory_mib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


RSS_AT_START = memory_mib("VmRSS")


def read_safetensors(path):
    """The safetensors format by hand (8-byte header length, JSON header, raw little-endian
    bytes): Debian has no python3-safetensors."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=DTYPES[info["dtype"]]).reshape(info["shape"]).clone()
    return out


def forward():
    s = STATE
    x = s["x"].contiguous(memory_format=s["fmt"])
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if s["bf16"] else contextlib.nullcontext()
    with torch.no_grad(), ctx:
        return s["model"](x).float()


def setup(req):
    torch.set_num_threads(int(req["threads"]))
    bf16 = req["mode"] == "bf16-channels-last"
    fmt = torch.channels_last if bf16 else torch.contiguous_format
    model = getattr(torchvision.models, req["model"])(num_classes=int(req["numClasses"]))
    model.load_state_dict(read_safetensors(req["weights"]))
    model = model.to(memory_format=fmt).eval()
    n, size = int(req["batch"]), int(req["size"])
    x = torch.from_numpy(np.fromfile(req["input"], dtype=np.float32, count=n * 3 * size * size)).reshape(n, 3, size, size)
    STATE.update(model=model, x=x, fmt=fmt, bf16=bf16)
    warmup_ms, logits = [], None
    for _ in range(int(req["warmup"])):
        start = time.perf_counter_ns()
        logits = forward()
        warmup_ms.append((time.perf_counter_ns() - start) / 1e6)
    return {
        "settings": {"mode": req["mode"], "threads": torch.get_num_threads(), "torch": torch.__version__, "torchvision": torchvision.__version__},
        "logits": logits.flatten().tolist() if logits is not None else [],
        "warmupMs": warmup_ms,
        "rssAtStartMiB": RSS_AT_START,
    }


def time_block(req):
    ms = []
    for _ in range(int(req["iters"])):
        start = time.perf_counter_ns()
        forward()
        ms.append((time.perf_counter_ns() - start) / 1e6)
    return {"ms": ms}


def memory(_req):
    return {"peakRssMiB": memory_mib("VmHWM"), "rssMiB": memory_mib("VmRSS")}


if __name__ == "__main__":
    serve({"setup": setup, "time": time_block, "memory": memory})
