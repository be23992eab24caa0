"""Greedy decoding on a GPT-2-small-sized model in float16: Hugging Face transformers (PyTorch) and
Transformers4J on the same random checkpoint and GPU, batch 1 and 16.

Writes a random GPT2LMHeadModel of GPT-2 small's shape (12 layers, 768 wide, 50257 tokens) as
safetensors; times transformers' generate() (greedy, KV cache, exactly NEW new tokens after an
8-token prompt: min_new_tokens = max_new_tokens, so an end-of-sequence token ends nothing), wall
clock, median of 5 after 2 warm-ups; then `t4j time --generate NEW` on the same checkpoint with
--dtype f16. Both count the prompt's prefill in the time. Prints one table.

Usage: python3 bench/gpu/gpt2_decode.py JAVA CLASSPATH WORK_DIR [LIBT4J_CUDA]
"""
import re
import statistics
import subprocess
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

NEW, PROMPT = 128, 8


def hf_tokens_per_s(model, batch):
    ids = torch.randint(1000, 50257, (batch, PROMPT), device="cuda")
    mask = torch.ones_like(ids)

    def once():
        out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, min_new_tokens=NEW,
                             max_new_tokens=NEW, pad_token_id=0)
        torch.cuda.synchronize()
        assert out.shape[1] == PROMPT + NEW, out.shape
    for _ in range(2):
        once()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
    return batch * NEW / statistics.median(times)


def ours_tokens_per_s(java, classpath, work, kernels, batch):
    run = subprocess.run([java, "--enable-native-access=ALL-UNNAMED", *kernels, "-cp", classpath,
                          "org.transformers4j.cli.Main", "time", "--model", work, "--device", "cuda:0", "--dtype", "f16",
                          "--generate", str(NEW), "--batch", str(batch), "--seq", str(PROMPT), "--runs", "5",
                          "--warmup", "5"], capture_output=True, text=True)
    print(run.stdout.strip())
    found = re.search(r"([0-9.]+) new tokens/s", run.stdout)
    if run.returncode != 0 or not found or "not available" in run.stderr:
        print(run.stderr.strip()[-2000:])
        return None
    return float(found.group(1))


def main():
    java, classpath, work = sys.argv[1], sys.argv[2], sys.argv[3]
    kernels = [f"-Dt4j.cuda.kernels={sys.argv[4]}"] if len(sys.argv) > 4 else []
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config()).eval()
    try:
        model.save_pretrained(work, safe_serialization=True)
    except TypeError:  # transformers 5 writes safetensors only and no longer takes the argument
        model.save_pretrained(work)
    model = model.half().cuda()
    rows, failed = [], False
    for batch in (1, 16):
        with torch.no_grad():
            theirs = hf_tokens_per_s(model, batch)
        ours = ours_tokens_per_s(java, classpath, work, kernels, batch)
        failed |= ours is None
        rows.append((batch, ours, theirs))
    print(f"GPU: {torch.cuda.get_device_name()}; transformers {__import__('transformers').__version__}, "
          f"PyTorch {torch.__version__}")
    print(f"| GPT-2-small-sized, f16, greedy, {NEW} new tokens after {PROMPT} | Transformers4J tokens/s "
          "| transformers tokens/s | speed-up |")
    print("|---|---|---|---|")
    for batch, ours, theirs in rows:
        mine = "failed" if ours is None else f"{ours:.0f}"
        ratio = "-" if ours is None else f"{ours / theirs:.2f}x"
        print(f"| batch {batch} | {mine} | {theirs:.0f} | {ratio} |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
