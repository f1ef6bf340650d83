"""The Python service a user would write instead of `finegrain serve`: FastAPI + uvicorn +
PyTorch/torchvision, the same weights (read from the finegrain checkpoint's safetensors file),
the same preprocessing (the whole photo resized to the square input, the checkpoint's mean/std),
one request per forward pass, float32 eager (PyTorch's default). POST /v1/classify takes the raw
image body and answers the top-5 classes.

    /usr/bin/python3 bench/serve/peer.py CHECKPOINT.safetensors PORT
"""
import io
import json
import struct
import sys

import numpy as np
import torch
import torchvision
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8}


def read_safetensors(path):
    """The safetensors format by hand (8-byte header length, JSON header, raw little-endian
    bytes): Debian has no python3-safetensors."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=DTYPES[info["dtype"]]) if b > a else torch.empty(0, dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, meta


def load(path):
    tensors, meta = read_safetensors(path)
    ck = json.loads(meta["finegrain"])["meta"]
    prefix = "ema." if any(k.startswith("ema.") for k in tensors) else "model."
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    model = getattr(torchvision.models, ck["model"])(num_classes=len(ck["classes"]))
    model.load_state_dict(state)
    model.eval()
    return model, ck


checkpoint, port = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else torch.get_num_threads())
model, meta = load(checkpoint)
classes = meta["classes"]
size = meta["imageSize"]
mean = torch.tensor(meta.get("mean", [0.485, 0.456, 0.406])).view(3, 1, 1)
std = torch.tensor(meta.get("std", [0.229, 0.224, 0.225])).view(3, 1, 1)
app = FastAPI()


def preprocess(body):
    img = Image.open(io.BytesIO(body))
    img.draft("RGB", (int(size * 1.15), int(size * 1.15)))  # JPEG shrink-on-load, as libvips does
    img = img.convert("RGB").resize((size, size), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
    return ((x - mean) / std).unsqueeze(0)


@app.post("/v1/classify")
async def classify(request: Request):
    body = await request.body()
    try:
        x = preprocess(body)
    except Exception as e:  # a bad image is the client's error
        return JSONResponse({"error": "bad_image", "message": str(e)}, status_code=400)
    with torch.no_grad():
        probs = torch.softmax(model(x), 1)[0]
    top = torch.topk(probs, min(5, len(classes)))
    return {"predictions": [{"label": classes[i], "score": float(s)} for s, i in zip(top.values.tolist(), top.indices.tolist())]}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


if __name__ == "__main__":
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))  # warm-up, as finegrain warms up before ready
    print(f"peer ready on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
