#!/usr/bin/env bash
# GPU check of `sapiens2 serve`: the 5B at 1024x768 and the 1B-4K at 4096x3072 (random weights, bf16),
# throughput at batch 1 and 8, p50 latency, peak GPU memory, MFU. Extra arguments go to gpu_check.py
# (e.g. --compile, --cases 5b, --peak-tflops 989, --dry-run for the CPU path with tiny models).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " != *" --dry-run "* ]] && ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "gpu_check: no NVIDIA driver here (nvidia-smi not found): run it on a CUDA machine, or pass --dry-run" >&2
    exit 2
fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader >&2
exec python scripts/gpu_check.py "$@"
