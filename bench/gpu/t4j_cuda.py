"""ctypes access to libt4j_cuda for the GPU benchmarks: torch tensors in, our kernels on them.

Only the GPU bench script uses this; the library's users reach the kernels through Java.
"""
import ctypes
import math

F32, F16, BF16 = 0, 1, 2
ACT_NONE, ACT_GELU, ACT_GELU_TANH, ACT_RELU, ACT_SILU = 0, 1, 2, 3, 4

_i64, _i32, _f32, _ptr = ctypes.c_int64, ctypes.c_int32, ctypes.c_float, ctypes.c_void_p


class SoftmaxParams(ctypes.Structure):
    _fields_ = [("batch", _i64), ("heads", _i64), ("rows", _i64), ("cols", _i64), ("scale", _f32),
                ("causal", _i32), ("mask", _ptr), ("mask_stride_b", _i64), ("mask_stride_h", _i64),
                ("mask_stride_s", _i64), ("key_start", _ptr), ("key_len", _ptr)]


class AttentionParams(ctypes.Structure):
    _fields_ = [("batch", _i64), ("q_len", _i64), ("kv_len", _i64), ("heads", _i64), ("kv_heads", _i64),
                ("head_dim", _i64), ("scale", _f32), ("causal", _i32), ("window", _i32)] + [
        (f"{t}_stride_{d}", _i64) for t in ("q", "k", "v", "out") for d in ("b", "s", "h")] + [
        ("bias", _ptr), ("bias_stride_b", _i64), ("bias_stride_h", _i64), ("bias_stride_s", _i64),
        ("key_start", _ptr), ("key_len", _ptr)]


class Library:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.t4j_cuda_last_error.restype = ctypes.c_char_p
        self.lib.t4j_cuda_attention_workspace_bytes.restype = _i64
        self._workspace = None

    def _check(self, status, what):
        if status != 0:
            raise RuntimeError(f"{what}: status {status} {self.lib.t4j_cuda_last_error().decode()}")

    @staticmethod
    def dtype(t):
        import torch
        return {torch.float32: F32, torch.float16: F16, torch.bfloat16: BF16}[t.dtype]

    @staticmethod
    def stream():
        import torch
        return _ptr(torch.cuda.current_stream().cuda_stream)

    def layer_norm(self, x, gamma, beta, eps, y, residual=None, sum_out=None):
        rows, cols = x.numel() // x.shape[-1], x.shape[-1]
        self._check(self.lib.t4j_cuda_layer_norm(
            self.dtype(x), _ptr(x.data_ptr()), _ptr(residual.data_ptr() if residual is not None else None),
            _ptr(sum_out.data_ptr() if sum_out is not None else None), _ptr(y.data_ptr()),
            _ptr(gamma.data_ptr()), _ptr(beta.data_ptr() if beta is not None else None),
            _i64(rows), _i64(cols), _f32(eps), self.stream()), "layer_norm")

    def softmax(self, x, y, scale=1.0, key_len=None, causal=False):
        """x, y: [B, H, S, T] contiguous; key_len: int32 [B] on the device or None."""
        b, h, s, t = x.shape
        p = SoftmaxParams(b, h, s, t, scale, int(causal), None, 0, 0, 0, None,
                          key_len.data_ptr() if key_len is not None else None)
        self._check(self.lib.t4j_cuda_softmax(self.dtype(x), ctypes.byref(p), _ptr(x.data_ptr()),
                                              _ptr(y.data_ptr()), self.stream()), "softmax")

    def attention(self, q, k, v, out, key_len=None, causal=False, scale=None, bhsd=True):
        """q, out: [B, H, S, D] (bhsd) or [B, S, H, D]; k, v likewise with T keys and K heads."""
        import torch
        if bhsd:
            b, h, s, d = q.shape
            kh, t = k.shape[1], k.shape[2]
            st = lambda x: (x.stride(0), x.stride(2), x.stride(1))
        else:
            b, s, h, d = q.shape
            t, kh = k.shape[1], k.shape[2]
            st = lambda x: (x.stride(0), x.stride(1), x.stride(2))
        p = AttentionParams(b, s, t, h, kh, d, scale if scale is not None else 1.0 / math.sqrt(d),
                            int(causal), 0, *st(q), *st(k), *st(v), *st(out), None, 0, 0, 0, None,
                            key_len.data_ptr() if key_len is not None else None)
        need = self.lib.t4j_cuda_attention_workspace_bytes(ctypes.byref(p))
        if need > 0 and (self._workspace is None or self._workspace.numel() < need):
            self._workspace = torch.empty(need, dtype=torch.uint8, device=q.device)
        ws = self._workspace.data_ptr() if need > 0 else None
        self._check(self.lib.t4j_cuda_attention(
            self.dtype(q), ctypes.byref(p), _ptr(q.data_ptr()), _ptr(k.data_ptr()), _ptr(v.data_ptr()),
            _ptr(out.data_ptr()), _ptr(ws), _i64(need), self.stream()), "attention")
