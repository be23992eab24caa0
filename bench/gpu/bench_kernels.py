"""Our CUDA kernels beside PyTorch on the same GPU, same process, same inputs.

Each case first checks our result against PyTorch's (relative error on the whole output), then
times both with CUDA events: warm-up, then the median of many runs. Prints one table; with an
output folder argument, also writes it there as kernels.md.

Usage: python3 bench/gpu/bench_kernels.py LIBT4J_CUDA_SO [OUT_DIR]
"""
import os
import statistics
import sys

import torch
import torch.nn.functional as F

from t4j_cuda import Library


def median_ms(fn, warmup=10, reps=50):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def rel_err(got, want, valid=None):
    got, want = got.float(), want.float()
    if valid is not None:
        got, want = got[valid], want[valid]
    return ((got - want).abs().max() / want.abs().max().clamp_min(1e-30)).item()


def key_padding(b, t, keep, device):
    """int32 key lengths and PyTorch's boolean mask [B, 1, 1, T] (True = attend)."""
    lens = torch.full((b,), keep, dtype=torch.int32, device=device)
    mask = (torch.arange(t, device=device)[None, :] < lens[:, None].long())[:, None, None, :]
    return lens, mask


def attention_case(lib, name, b, h, s, d, dtype, pad=False, causal=False, target=None, warps=None):
    """warps: force the tensor-core kernel's block shape (4 or 8 warps), else the library chooses."""
    if warps is None:
        os.environ.pop("T4J_CUDA_FLASH_WARPS", None)
    else:
        os.environ["T4J_CUDA_FLASH_WARPS"] = str(warps)
    dev = "cuda"
    q, k, v = (torch.randn(b, h, s, d, device=dev, dtype=dtype) for _ in range(3))
    out = torch.full_like(q, float("nan"))
    lens, mask = key_padding(b, s, s - s // 4, dev) if pad else (None, None)
    ours = lambda: lib.attention(q, k, v, out, key_len=lens, causal=causal)
    peer = lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
    ours()
    err = rel_err(out, peer())
    return row(name, ours, peer, err, 1e-2, target)


def attention_runner(lib, b, h, s, d, dtype, pad, causal, target, warps):
    return lambda name: attention_case(lib, name, b, h, s, d, dtype, pad=pad, causal=causal, target=target,
                                       warps=warps)


def layer_norm_case(lib, rows, cols, dtype, target):
    x = torch.randn(rows, cols, device="cuda", dtype=dtype)
    g, bta = torch.randn(cols, device="cuda", dtype=dtype), torch.randn(cols, device="cuda", dtype=dtype)
    y = torch.full_like(x, float("nan"))
    ours = lambda: lib.layer_norm(x, g, bta, 1e-5, y)
    peer = lambda: F.layer_norm(x, (cols,), g, bta, 1e-5)
    ours()
    return row(f"layer norm {dtype_name(dtype)} [{rows}, {cols}]", ours, peer, rel_err(y, peer()), 1e-2, target)


def softmax_case(lib, b, h, s, dtype, target):
    x = torch.randn(b, h, s, s, device="cuda", dtype=dtype)
    y = torch.full_like(x, float("nan"))
    lens, keep = key_padding(b, s, s - s // 4, "cuda")
    additive = torch.zeros(b, 1, 1, s, device="cuda", dtype=dtype).masked_fill(~keep, float("-inf"))
    ours = lambda: lib.softmax(x, y, key_len=lens)
    peer = lambda: torch.softmax(x + additive, dim=-1)
    ours()
    name = f"masked softmax {dtype_name(dtype)} [{b}, {h}, {s}, {s}], quarter padded"
    return row(name, ours, peer, rel_err(y, peer()), 1e-2, target)


def dtype_name(dtype):
    return {torch.float16: "f16", torch.bfloat16: "bf16", torch.float32: "f32"}[dtype]


def row(name, ours, peer, err, tol, target):
    t_ours, t_peer = median_ms(ours), median_ms(peer)
    ratio = t_peer / t_ours
    verdict = "-" if target is None else ("met" if ratio >= target else f"missed by {target / ratio:.2f}x")
    return dict(name=name, ours=t_ours, peer=t_peer, ratio=ratio, target=target, verdict=verdict,
                err=err, correct=err <= tol)


def main():
    lib = Library(sys.argv[1])
    torch.manual_seed(0)
    gpu = torch.cuda.get_device_name()
    # (name, B, H, S, D, dtype, key padding, causal, target)
    attention = [
        ("attention f16 B=8 H=12 S=512 D=64, quarter of keys padded", 8, 12, 512, 64, torch.float16, True, False, 1.5),
        ("attention f16 B=8 H=12 S=512 D=64, no mask", 8, 12, 512, 64, torch.float16, False, False, 0.9),
        ("attention bf16 causal B=1 H=32 S=4096 D=128", 1, 32, 4096, 128, torch.bfloat16, False, True, 0.9),
    ]
    cases = []
    for name, b, h, s, d, dtype, pad, causal, target in attention:
        cases.append((name, attention_runner(lib, b, h, s, d, dtype, pad, causal, target, None)))
    # each block shape forced, without a target: which one the library should choose
    for warps in (4, 8):
        for name, b, h, s, d, dtype, pad, causal, _ in attention:
            cases.append((f"{name} ({warps} warps a block)",
                          attention_runner(lib, b, h, s, d, dtype, pad, causal, None, warps)))
    cases += [
        ("layer norm f16 [32768, 768]", lambda name: layer_norm_case(lib, 32768, 768, torch.float16, 1.5)),
        ("masked softmax f16 [8, 12, 512, 512]", lambda name: softmax_case(lib, 8, 12, 512, torch.float16, 2.0)),
    ]
    rows = []
    for name, run in cases:  # one failing case must not hide the others
        try:
            rows.append(run(name))
        except Exception as e:  # noqa: BLE001 - reported in the table
            rows.append(dict(name=name, ours=float("nan"), peer=float("nan"), ratio=float("nan"), target=None,
                             verdict=f"FAILED: {type(e).__name__}: {e}"[:120], err=float("nan"), correct=False))
    lines = [f"GPU: {gpu}; PyTorch {torch.__version__}; times are medians of 50 runs (CUDA events)", "",
             "| case | ours ms | PyTorch ms | speed-up | target | verdict | rel. error vs PyTorch |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        tgt = "-" if r["target"] is None else f">= {r['target']}x"
        lines.append(f"| {r['name']} | {r['ours']:.4f} | {r['peer']:.4f} | {r['ratio']:.2f}x | {tgt} | "
                     f"{r['verdict']} | {r['err']:.1e}{'' if r['correct'] else ' WRONG'} |")
    text = "\n".join(lines)
    print(text)
    if len(sys.argv) > 2:
        with open(f"{sys.argv[2]}/kernels.md", "w") as f:
            f.write(text + "\n")
    sys.exit(0 if all(r["correct"] for r in rows) else 1)


if __name__ == "__main__":
    main()
