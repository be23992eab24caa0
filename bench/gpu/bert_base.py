"""A BERT-base-sized encoder in float16, batch 32 x 128, on Hugging Face transformers (PyTorch) and
on Transformers4J, the same random checkpoint on the same GPU.

Writes a random BertModel of bert-base's shape (12 layers, 768 hidden, 12 heads) as safetensors,
times transformers' forward pass in float16 (CUDA events; with and without bringing the hidden
states back to the host, which our forward pass always does), then runs `t4j time` on the same
checkpoint with --dtype f16. Prints one table row per side.

Usage: python3 bench/gpu/bert_base.py JAVA CLASSPATH WORK_DIR [LIBT4J_CUDA]
(LIBT4J_CUDA: a libt4j_cuda to use instead of the jar's, as -Dt4j.cuda.kernels)
"""
import re
import subprocess
import sys

import torch
from transformers import BertConfig, BertModel

from bench_kernels import median_ms


def main():
    java, classpath, work = sys.argv[1], sys.argv[2], sys.argv[3]
    kernels = [f"-Dt4j.cuda.kernels={sys.argv[4]}"] if len(sys.argv) > 4 else []
    torch.manual_seed(0)
    model = BertModel(BertConfig()).eval()
    try:
        model.save_pretrained(work, safe_serialization=True)
    except TypeError:  # transformers 5 writes safetensors only and no longer takes the argument
        model.save_pretrained(work)
    m = model.half().cuda()
    ids = torch.randint(1000, 30522, (32, 128), device="cuda")
    mask = torch.ones_like(ids)
    with torch.no_grad():
        on_gpu = median_ms(lambda: m(input_ids=ids, attention_mask=mask).last_hidden_state, 5, 20)
        to_host = median_ms(lambda: m(input_ids=ids, attention_mask=mask).last_hidden_state.float().cpu(), 5, 20)
    run = subprocess.run([java, "--enable-native-access=ALL-UNNAMED", *kernels, "-cp", classpath, "org.transformers4j.cli.Main",
                          "time", "--model", work, "--device", "cuda:0", "--dtype", "f16", "--batch", "32",
                          "--seq", "128", "--runs", "50", "--warmup", "5"], capture_output=True, text=True)
    print(run.stdout.strip())
    found = re.search(r"median ([0-9.]+) ms", run.stdout)
    if run.returncode != 0 or not found or "not available" in run.stderr:
        print(run.stderr.strip()[-2000:])
        print("| BERT-base f16 32x128 | Transformers4J failed |")
        sys.exit(1)
    ours = float(found.group(1))
    gpu = torch.cuda.get_device_name()
    print(f"GPU: {gpu}; transformers {__import__('transformers').__version__}, PyTorch {torch.__version__}")
    print("| BERT-base encoder f16, 32 x 128 | Transformers4J ms | transformers ms | speed-up |")
    print("|---|---|---|---|")
    print(f"| hidden states back on the host | {ours:.2f} | {to_host:.2f} | {to_host / ours:.2f}x |")
    print(f"| transformers leaving them on the GPU | {ours:.2f} | {on_gpu:.2f} | {on_gpu / ours:.2f}x |")


if __name__ == "__main__":
    main()
