"""One case of the attention benchmark, ours and PyTorch's, a few launches each: a driver for a
profiler (Nsight Compute), e.g.
  ncu --clock-control none --kernel-name regex:'flash|attention|fmha' --launch-skip 2 --launch-count 2 \\
      --section SpeedOfLight --section Occupancy python3 bench/gpu/attention_once.py nomask LIBT4J_CUDA_SO
Cases: padded, nomask, causal (the shapes of bench_kernels.py).
"""
import sys

import torch
import torch.nn.functional as F

from bench_kernels import key_padding
from t4j_cuda import Library

CASES = {  # B, H, S, D, dtype, key padding, causal
    "padded": (8, 12, 512, 64, torch.float16, True, False),
    "nomask": (8, 12, 512, 64, torch.float16, False, False),
    "causal": (1, 32, 4096, 128, torch.bfloat16, False, True),
}


def main():
    b, h, s, d, dtype, pad, causal = CASES[sys.argv[1]]
    lib = Library(sys.argv[2])
    torch.manual_seed(0)
    q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=dtype) for _ in range(3))
    out = torch.empty_like(q)
    lens, mask = key_padding(b, s, s - s // 4, "cuda") if pad else (None, None)
    for _ in range(4):
        lib.attention(q, k, v, out, key_len=lens, causal=causal)
    torch.cuda.synchronize()
    for _ in range(4):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
    torch.cuda.synchronize()


if __name__ == "__main__":
    main()
