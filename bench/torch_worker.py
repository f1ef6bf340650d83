"""The request loop both PyTorch benchmark workers share (bench/engine/torch_engine.py,
bench/models/torch_models.py): one JSON request per line on stdin, one JSON answer per line on
stdout, so the Node driver and Python never compute at the same time. Also the requests every
worker answers the same way: "info", "threads", "drop" and "quit".
"""
import json
import platform
import sys

import torch

# The worker's live cases (tensors, models), by the key the driver gives.
CASES = {}


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def info(_req, extra=None):
    cuda = torch.cuda.is_available()
    return {
        "torchVersion": torch.__version__,
        "pythonVersion": platform.python_version(),
        "executable": sys.executable,
        "numThreads": torch.get_num_threads(),
        "cudaAvailable": cuda,
        "cudaDevice": torch.cuda.get_device_name(0) if cuda else None,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "parallelInfo": torch.__config__.parallel_info(),
        **(extra or {}),
    }


def set_threads(req):
    torch.set_num_threads(int(req["n"]))
    return {"numThreads": torch.get_num_threads()}


def drop(req):
    CASES.pop(req["key"], None)
    return {}


def serve(handlers):
    """Answers requests until "quit" or end of input; an exception becomes an error answer and
    the worker stays usable."""
    handlers = {"info": info, "threads": set_threads, "drop": drop, **handlers}
    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "quit":
            break
        try:
            answer = {"ok": handlers[req["cmd"]](req)}
        except Exception as e:  # the driver reports it
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
