"""``sapiens2 serve``: serve checkpoints over HTTP, embedded (uvicorn) or scaled out on Ray Serve."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sapiens2.api import RANDOM_WEIGHTS_WARNING
from sapiens2.errors import UserError
from sapiens2.models import TASKS

from .sizes import parse_size

MIB = 2**20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve models over HTTP (one process, or a Ray Serve deployment with --ray)",
        description="Serve every given model by name on http://127.0.0.1:8000/v1 (API docs at /docs). "
        "Call it with sapiens2.load('http://HOST:PORT/v1/models/NAME') or `sapiens2 predict --server`.",
    )
    models = parser.add_argument_group("models")
    models.add_argument("--checkpoint", "-c", action="append", default=[], metavar="[NAME=]PATH",
                        help="a checkpoint to serve, named NAME (default: its task); repeat for several")
    models.add_argument("--arch", help="arch of an untrained model (with --task and --random-weights), for trials")
    models.add_argument("--task", choices=TASKS, help="task of an untrained model")
    models.add_argument("--random-weights", action="store_true", help="allow an untrained model (meaningless outputs)")
    models.add_argument("--name", help="name of the untrained model (default: its task)")
    models.add_argument("--input-size", type=parse_size, help="model input HxW (default: each checkpoint's own)")
    models.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")
    models.add_argument("--precision", help="fp32 (CPU default), bf16 (CUDA default) or fp16")
    models.add_argument("--attention", choices=("auto", "sdpa", "tiled"), default="auto",
                        help="SDPA's fused kernels, or exact query-tiled attention (auto: tiled for long sequences)")
    models.add_argument("--compile", action="store_true", help="torch.compile the models (slower start, faster GPU runs)")
    net = parser.add_argument_group("network and limits")
    net.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback; 0.0.0.0 for every interface)")
    net.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    net.add_argument("--api-key-file", help="file of API keys, one a line (default: $SAPIENS2_API_KEYS, else no key)")
    net.add_argument("--max-batch", type=int, default=8, help="model inputs per batch, across requests (default 8)")
    net.add_argument("--max-wait-ms", type=float, default=5.0, help="longest wait to fill a batch (default 5 ms)")
    net.add_argument("--max-queue", type=int, default=64, help="requests in flight before 503 Retry-After (default 64)")
    net.add_argument("--max-body-mb", type=float, default=32.0, help="largest request body in MiB (default 32)")
    net.add_argument("--max-pixels", type=int, default=50_000_000, help="largest image in pixels (default 50M)")
    net.add_argument("--max-boxes", type=int, default=64, help="most person boxes per image (default 64)")
    net.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in seconds (default 60)")
    ray = parser.add_argument_group("Ray Serve (scale-out)")
    ray.add_argument("--ray", action="store_true", help="deploy on Ray Serve: a running cluster if any, else a local one")
    ray.add_argument("--replicas", type=int, default=1, help="fixed number of replicas (default 1)")
    ray.add_argument("--autoscale", metavar="MIN,MAX", help="autoscale between MIN and MAX replicas instead")
    ray.add_argument("--gpus-per-replica", type=float,
                     help="GPUs per replica, fractions allowed (default: 1 where this machine has CUDA, else 0)")
    parser.set_defaults(func=run)


def model_specs(args: argparse.Namespace) -> list:
    """The ``ModelSpec`` of every ``--checkpoint`` and of the ``--arch/--task`` model."""
    from sapiens2.serve.models import ModelSpec

    specs = []
    for entry in args.checkpoint:
        name, separator, path = entry.partition("=") if "=" in entry else ("", "", entry)
        # Absolute paths: Ray replicas may start in another working directory.
        local = Path(path).expanduser()
        if not path.startswith("hf://") and not local.exists():  # refused before the server starts, not after
            raise UserError(f"checkpoint {path} does not exist: give a .safetensors file, a bundle directory or hf://org/repo/file")
        checkpoint = str(local.resolve()) if local.exists() else path
        specs.append(ModelSpec(name=name or None, checkpoint=checkpoint))
    if args.arch or args.task:
        if not (args.arch and args.task and args.random_weights):
            raise UserError("an untrained model needs --arch, --task and --random-weights together")
        specs.append(ModelSpec(name=args.name, arch=args.arch, task=args.task, random_weights=True))
    if not specs:
        raise UserError("nothing to serve: give --checkpoint [NAME=]PATH, or --arch, --task and --random-weights")
    return specs


def autoscale_range(text: str | None) -> tuple[int, int] | None:
    """``"1,4"`` -> (1, 4)."""
    if text is None:
        return None
    try:
        low, high = (int(part) for part in text.split(","))
    except ValueError:
        raise UserError(f"--autoscale takes MIN,MAX replicas, e.g. 1,4; got {text!r}") from None
    if not 0 <= low <= high or high < 1:
        raise UserError(f"--autoscale {text}: need 0 <= MIN <= MAX and MAX >= 1")
    return low, high


def run(args: argparse.Namespace) -> int:
    from sapiens2.serve import LoadOptions, ServeSettings, read_api_keys

    specs = model_specs(args)
    if args.random_weights:
        print(f"\033[1;31mWARNING: {RANDOM_WEIGHTS_WARNING}\033[0m", file=sys.stderr)
    settings = ServeSettings(
        host=args.host,
        port=args.port,
        max_batch=args.max_batch,
        max_wait_ms=args.max_wait_ms,
        max_queue=args.max_queue,
        max_body_bytes=int(args.max_body_mb * MIB),
        max_pixels=args.max_pixels,
        max_boxes=args.max_boxes,
        request_timeout_s=args.timeout,
        api_keys=read_api_keys(args.api_key_file),
    )
    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.api_keys:
        print(f"WARNING: serving on {settings.host} without API keys: anyone who can reach it can use it "
              "(--api-key-file or $SAPIENS2_API_KEYS)", file=sys.stderr)
    options = LoadOptions(
        device=args.device, precision=args.precision, input_size=args.input_size, attention=args.attention, compile=args.compile
    )
    autoscale = autoscale_range(args.autoscale)
    if args.replicas < 1:
        raise UserError(f"--replicas must be at least 1, got {args.replicas}")
    if args.ray:
        from sapiens2.serve.ray_launcher import RayScaling, serve_on_ray

        gpus = args.gpus_per_replica
        if gpus is None:
            import torch

            gpus = 1.0 if torch.cuda.is_available() else 0.0
        serve_on_ray(specs, options, settings, RayScaling(args.replicas, autoscale, gpus))
    else:
        from sapiens2.serve.uvicorn_launcher import serve_embedded

        serve_embedded(specs, options, settings)
    return 0
