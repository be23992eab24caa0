#!/usr/bin/env python3
"""Writes the files under torch-1.13/ with torch.save itself (PyTorch 1.13, Debian's python3-torch).

  gpt2/pytorch_model.bin   the gpt2 fixture's weights (../fixtures/models/gpt2/model.safetensors, read
                           here without the safetensors package), saved as transformers'
                           GPT2LMHeadModel.state_dict() lays them out, with:
                           - lm_head.weight tied to transformer.wte.weight (the same tensor, so one storage);
                           - transformer.h.0.mlp.c_proj.weight saved as a transposed view (x.t().contiguous().t():
                             the same values, stride (1, 192), not contiguous);
                           - transformer.h.1.attn.c_attn.bias saved as a slice at offset 7 of a larger storage;
                           - transformer.ln_f.weight and .bias two views of one storage (offsets 0 and 48).
                           A model loaded from it must give exactly the logits of the safetensors model.
  dtypes.bin               float16, bfloat16 and float32 tensors, contiguous, transposed and sliced;
  dtypes-expected.safetensors  each of them as .float().contiguous(), in float32 (the values the reader must give).

Run from this folder with a Python that has torch: python3 save_with_torch.py
"""
import collections
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "models", "gpt2", "model.safetensors")


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", name
        begin, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        out[name] = t.reshape(e["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = t.float().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def gpt2_state_dict():
    w = read_safetensors(FIXTURE)
    order = ["transformer.wte.weight", "transformer.wpe.weight"]
    for i in range(2):
        for part in ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                     "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                     "mlp.c_proj.weight", "mlp.c_proj.bias"]:
            order.append(f"transformer.h.{i}.{part}")
    order += ["transformer.ln_f.weight", "transformer.ln_f.bias"]
    assert sorted(order) == sorted(w), "the fixture's tensor names changed"
    sd = collections.OrderedDict((name, w[name]) for name in order)
    sd["lm_head.weight"] = sd["transformer.wte.weight"]

    proj = sd["transformer.h.0.mlp.c_proj.weight"]
    sd["transformer.h.0.mlp.c_proj.weight"] = proj.t().contiguous().t()
    assert not sd["transformer.h.0.mlp.c_proj.weight"].is_contiguous()

    bias = sd["transformer.h.1.attn.c_attn.bias"]
    big = torch.cat([torch.full((7,), -1.0), bias, torch.full((5,), -2.0)])
    sd["transformer.h.1.attn.c_attn.bias"] = big[7:7 + bias.numel()]

    ln = torch.cat([sd["transformer.ln_f.weight"], sd["transformer.ln_f.bias"]])
    sd["transformer.ln_f.weight"], sd["transformer.ln_f.bias"] = ln[:48], ln[48:]

    for name in order:
        assert torch.equal(sd[name], w[name]), name
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("transformer", {"version": 1}),
                                            ("lm_head", {"version": 1})])
    return sd


def dtypes_state_dict():
    g = torch.Generator().manual_seed(18)
    h = torch.randn(5, 3, generator=g).half()
    b = torch.randn(4, 6, generator=g).bfloat16()
    f = torch.randn(3, 7, generator=g)
    return collections.OrderedDict([
        ("half", h),
        ("half_t", h.t()),
        ("half_slice", h[1:4, 1:]),
        ("bf16", b),
        ("bf16_t", b.t()),
        ("bf16_rows", b[2:]),
        ("f32_t", f.t()),
        ("f32_cols", f[:, 2:5]),
    ])


def main():
    out = os.path.join(HERE, "torch-1.13")
    os.makedirs(os.path.join(out, "gpt2"), exist_ok=True)
    torch.save(gpt2_state_dict(), os.path.join(out, "gpt2", "pytorch_model.bin"))
    d = dtypes_state_dict()
    torch.save(d, os.path.join(out, "dtypes.bin"))
    write_safetensors(os.path.join(out, "dtypes-expected.safetensors"), d)


if __name__ == "__main__":
    assert torch.__version__.startswith("1.13"), torch.__version__
    main()
