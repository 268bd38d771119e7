"""Scale-out: the same FastAPI app (``create_app``) as a Ray Serve deployment, one model set per replica.

Each replica loads the models and builds the app in its own process (Ray's late-bound ingress,
``__serve_build_asgi_app__``); the app's engine sends each request's prepared inputs to the
replica's ``@serve.batch`` method, which runs them with ``run_together``, the same batched call as
the embedded server. Ray's own request queue is bounded too (``max_queued_requests``: 503 when full).
``serve_on_ray`` joins a running cluster (``ray start --head`` / ``--address``, or ``$RAY_ADDRESS``)
or starts a local one, deploys, and blocks until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from sapiens2.errors import UserError

from .app import attach_engine, create_app
from .batching import Outputs, run_together
from .metrics import ServerMetrics
from .models import LoadOptions, ModelSpec, ServedModel, load_models
from .settings import ServeSettings

APP_NAME = "sapiens2"


@dataclass(frozen=True)
class RayScaling:
    """A fixed replica count, or an autoscaling (min, max) range; GPUs (fractions allowed) per replica."""

    replicas: int = 1
    autoscale: tuple[int, int] | None = None
    gpus_per_replica: float = 0.0

    def deployment_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"ray_actor_options": {"num_gpus": self.gpus_per_replica, "num_cpus": 1}}
        if self.autoscale is None:
            options["num_replicas"] = self.replicas
        else:
            low, high = self.autoscale
            options["autoscaling_config"] = {"min_replicas": low, "max_replicas": high, "initial_replicas": max(low, 1)}
        return options


class RayBatchEngine:
    """The ``Engine`` of one replica: the replica's models, run through its ``@serve.batch`` method."""

    def __init__(self, models: dict[str, ServedModel], replica: Any) -> None:
        self.models = models
        self._replica = replica

    async def run(self, name: str, inputs: np.ndarray) -> Outputs:
        return await self._replica.run_batch((name, inputs))

    async def close(self) -> None:
        return None


def run_grouped(
    models: dict[str, ServedModel], requests: list[tuple[str, np.ndarray]], metrics: ServerMetrics
) -> list[Outputs]:
    """A ``@serve.batch`` batch may mix models: run each model's requests together, keep the order."""
    answers: list[Outputs | None] = [None] * len(requests)
    for name in dict.fromkeys(name for name, _ in requests):
        positions = [index for index, (requested, _) in enumerate(requests) if requested == name]
        items = [requests[index][1] for index in positions]
        metrics.batch_size.labels(model=name).observe(sum(len(item) for item in items))
        outputs = run_together(models[name].run, items)
        for index, output in zip(positions, outputs):
            answers[index] = output
    return answers


def build_application(specs: list[ModelSpec], options: LoadOptions, settings: ServeSettings, scaling: RayScaling) -> Any:
    """The bound Ray Serve application (``serve.run`` it)."""
    from ray import serve

    @serve.deployment(
        name="Sapiens2Server",
        max_ongoing_requests=settings.max_queue,
        max_queued_requests=settings.max_queue,
        graceful_shutdown_timeout_s=settings.request_timeout_s,
        **scaling.deployment_options(),
    )
    @serve.ingress()
    class Sapiens2Server:
        def __init__(self) -> None:
            self.models = load_models(specs, options, settings)

        def __serve_build_asgi_app__(self) -> Any:
            app = create_app(settings)
            self.metrics = app.state.metrics
            attach_engine(app, RayBatchEngine(self.models, self))
            return app

        @serve.batch(max_batch_size=settings.max_batch, batch_wait_timeout_s=settings.max_wait_ms / 1000)
        async def run_batch(self, requests: list[tuple[str, np.ndarray]]) -> list[Outputs]:
            return await asyncio.to_thread(run_grouped, self.models, requests, self.metrics)

    return Sapiens2Server.bind()


def connect_ray() -> str:
    """Join the running Ray cluster if there is one, else start a local one; returns which."""
    import ray

    try:
        ray.init(address="auto", include_dashboard=False, logging_level="warning")
        return "joined the running Ray cluster"
    except ConnectionError:
        ray.init(include_dashboard=False, logging_level="warning")
        return "started a local Ray cluster"


def serve_on_ray(specs: list[ModelSpec], options: LoadOptions, settings: ServeSettings, scaling: RayScaling) -> None:
    """Deploy on Ray Serve at ``settings.host:port`` and block until SIGTERM/SIGINT, then shut it down."""
    try:
        from ray import serve
    except ImportError as error:
        raise UserError("--ray needs Ray Serve: pip install 'sapiens2-sdk[server]'") from error
    how = connect_ray()
    print(f"{how}; deploying {len(specs)} model(s) on {scaling}", file=sys.stderr, flush=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        serve.start(http_options={"host": settings.host, "port": settings.port})
        serve.run(build_application(specs, options, settings, scaling), name=APP_NAME, route_prefix="/")
        print(f"ready: Ray Serve on http://{settings.host}:{settings.port} (API docs at /docs)", file=sys.stderr, flush=True)
        stop.wait()
    finally:
        serve.shutdown()
