"""GPU check for ``sapiens2 serve``: the 5B at 1024x768 and the 1B-4K at 4096x3072 (random weights in the
official layout, bf16), served over HTTP on loopback by the real server code.

For each case and batch size it prints, and writes as JSON lines to ``--out``:
- model: images/s of the bare forward pass at that batch, p50 batch latency, MFU
  (model FLOPs per image x images/s / the GPU's bf16 dense peak), peak GPU memory;
- served: images/s and p50 request latency through ``POST /v1/models/{name}:predict`` with as many
  concurrent clients as the batch size (dynamic batching gathers them).

``--dry-run`` runs the same path on the CPU with tiny models (used by the tests); without it, a
machine without CUDA is refused with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import httpx
import numpy as np
import torch
import uvicorn
from torch.utils.flop_counter import FlopCounterMode

from sapiens2.models import build_task_model
from sapiens2.models.outputs import RAW_OUTPUTS
from sapiens2.pipelines import ModelIO
from sapiens2.predictor import Predictor
from sapiens2.serve import BatchingEngine, ServedModel, ServeSettings, attach_engine, create_app
from sapiens2.serve.logs import uvicorn_log_config
from sapiens2.serve.models import choose_attention
from sapiens2.targets.torch.model_runner import TorchModelRunner

# bf16 dense tensor-core peaks (FLOP/s), by a word of torch.cuda.get_device_name().
BF16_PEAKS = {"H200": 989e12, "H100": 989e12, "GH200": 989e12, "A100": 312e12, "L40S": 362e12, "L4": 121e12, "B200": 2250e12}
TINY_ARCH = {"embed_dims": 64, "num_layers": 4, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}


@dataclass(frozen=True)
class Case:
    name: str
    task: str
    arch: str | dict
    input_size: tuple[int, int]
    tokenizer: bool


FULL_CASES = (
    Case("5b", "pose", "sapiens2_5b", (1024, 768), False),
    Case("1b-4k", "seg", "sapiens2_1b", (4096, 3072), True),
)
DRY_CASES = (
    Case("tiny", "pose", TINY_ARCH, (128, 96), False),
    Case("tiny-4k", "seg", TINY_ARCH, (256, 192), True),
)


def bf16_peak(device: torch.device, override_tflops: float | None) -> float | None:
    if override_tflops:
        return override_tflops * 1e12
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for word, peak in BF16_PEAKS.items() if word in name), None)


def build(case: Case, device: torch.device, precision: str, compile_model: bool) -> tuple[Predictor, torch.nn.Module]:
    """A random-weights model in the official layout, built straight on the device (fast init)."""
    torch.manual_seed(0)
    with device:
        model = build_task_model(case.task, case.arch, img_size=case.input_size, use_tokenizer=case.tokenizer).eval()
    choose_attention(model, case.input_size, "auto")
    runner = TorchModelRunner(model, str(device), precision)
    if compile_model:
        runner.model = torch.compile(runner.model, dynamic=True)
    io = ModelIO(task=case.task, input_size=case.input_size, output_names=RAW_OUTPUTS[case.task])
    meta = {"runtime": "torch", "device": str(device), "precision": precision, "random_weights": True}
    return Predictor(io, runner, batch_size=8, meta=meta), runner.model


def flops_per_image(model: torch.nn.Module, case: Case, device: torch.device, dtype: torch.dtype) -> float:
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(torch.zeros(1, 3, *case.input_size, device=device, dtype=dtype))
    return float(counter.get_total_flops())


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_model(model: torch.nn.Module, case: Case, batch: int, device: torch.device, dtype: torch.dtype, iters: int) -> list[float]:
    x = torch.randn(batch, 3, *case.input_size, device=device, dtype=dtype)
    times = []
    with torch.inference_mode():
        for index in range(iters + 2):  # two warm-up runs
            synchronize(device)
            started = time.perf_counter()
            model(x)
            synchronize(device)
            if index >= 2:
                times.append(time.perf_counter() - started)
    return times


def person_jpeg(case: Case) -> bytes:
    """A synthetic upright 'person' picture at the model's input size (the content does not matter)."""
    height, width = case.input_size
    image = np.full((height, width, 3), 90, np.uint8)
    cv2.ellipse(image, (width // 2, height // 2), (width // 5, height // 3), 0, 0, 360, (40, 140, 220), -1)
    cv2.circle(image, (width // 2, height // 7), max(2, width // 12), (60, 170, 230), -1)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def time_served(url: str, body: bytes, clients: int, requests: int) -> list[float]:
    def post(_: int) -> float:
        started = time.perf_counter()
        response = httpx.post(url, content=body, headers={"content-type": "image/jpeg"}, timeout=600)
        response.raise_for_status()
        return time.perf_counter() - started

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, range(clients)))  # warm-up
        started = time.perf_counter()
        latencies = list(pool.map(post, range(requests)))
    return [time.perf_counter() - started, *latencies]


def start_server(settings: ServeSettings) -> tuple:
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning", log_config=uvicorn_log_config()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return app, server, thread


def run_case(case: Case, args: argparse.Namespace, device: torch.device, precision: str, settings: ServeSettings):
    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32}[precision]
    if device.type == "cuda":
        torch.cuda.empty_cache()
    predictor, model = build(case, device, precision, args.compile)
    flops = flops_per_image(model, case, device, dtype)
    peak = bf16_peak(device, args.peak_tflops)
    app, server, thread = start_server(settings)
    url = f"http://127.0.0.1:{settings.port}/v1/models/{case.name}:predict"
    body = person_jpeg(case)
    try:
        for batch in args.batches:
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)  # weights + this batch's activations, not the fp32 build
            times = time_model(model, case, batch, device, dtype, args.iters)
            model_rate = batch / statistics.median(times)
            peak_memory = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
            served_settings = ServeSettings(max_batch=batch, max_wait_ms=args.max_wait_ms, port=settings.port)
            served = ServedModel(case.name, predictor, case.arch if isinstance(case.arch, str) else "tiny")
            attach_engine(app, BatchingEngine({case.name: served}, served_settings, app.state.metrics))
            wall, *latencies = time_served(url, body, clients=batch, requests=batch * args.rounds)
            row = {
                "case": case.name,
                "task": case.task,
                "input_size": f"{case.input_size[0]}x{case.input_size[1]}",
                "precision": precision,
                "batch": batch,
                "model_images_per_s": round(model_rate, 2),
                "model_p50_ms": round(1000 * statistics.median(times), 1),
                "gflops_per_image": round(flops / 1e9, 3),
                "mfu": round(flops * model_rate / peak, 4) if peak else None,
                "peak_gpu_memory_gib": round(peak_memory, 2) if peak_memory is not None else None,
                "served_images_per_s": round(len(latencies) / wall, 2),
                "served_p50_ms": round(1000 * statistics.median(latencies), 1),
            }
            yield row
    finally:
        server.should_exit = True
        thread.join(30)
        del predictor, model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="tiny models on the CPU: checks the path, not the GPU")
    parser.add_argument("--cases", default=None, help="comma-separated case names (default: all)")
    parser.add_argument("--batches", type=lambda text: [int(b) for b in text.split(",")], default=[1, 8])
    parser.add_argument("--iters", type=int, default=10, help="timed forward passes per batch size")
    parser.add_argument("--rounds", type=int, default=4, help="served requests per client")
    parser.add_argument("--max-wait-ms", type=float, default=20.0)
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's bf16 dense peak, if its name is not known")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--out", type=Path, help="also write the rows as JSON lines here")
    args = parser.parse_args(argv)
    if not args.dry_run and not torch.cuda.is_available():
        print(
            f"gpu_check: no CUDA GPU visible to torch {torch.__version__} (CUDA build: {torch.version.cuda or 'none'}): "
            "run it on a CUDA machine with a CUDA torch wheel, or pass --dry-run for the CPU path",
            file=sys.stderr,
        )
        return 2
    device = torch.device("cpu" if args.dry_run else "cuda")
    precision = "fp32" if args.dry_run else "bf16"
    cases = DRY_CASES if args.dry_run else FULL_CASES
    if args.cases:
        wanted = args.cases.split(",")
        cases = tuple(case for case in cases if case.name in wanted)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        print(f"gpu_check on {torch.cuda.get_device_name(device)}, torch {torch.__version__}", file=sys.stderr)
    settings = ServeSettings(port=args.port, max_pixels=64_000_000, max_body_bytes=128 * 2**20)
    rows = []
    for case in cases:
        for row in run_case(case, args, device, precision, settings):
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.out:
        args.out.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
