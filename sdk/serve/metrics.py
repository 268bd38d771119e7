"""Prometheus metrics of one server process (each app owns its registry, so tests can run several)."""

from __future__ import annotations

import torch
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class ServerMetrics:
    """Requests and errors by model and status, latency and batch-size histograms, queue depth, GPU memory."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sapiens2_requests", "Predict requests answered", ["model", "status"], registry=self.registry
        )
        self.errors = Counter("sapiens2_errors", "Requests answered with an error", ["status"], registry=self.registry)
        self.latency = Histogram(
            "sapiens2_request_seconds", "Predict latency", ["model"], buckets=LATENCY_BUCKETS, registry=self.registry
        )
        self.batch_size = Histogram(
            "sapiens2_batch_size", "Model inputs per batch", ["model"], buckets=BATCH_BUCKETS, registry=self.registry
        )
        self.queue_depth = Gauge("sapiens2_queue_depth", "Requests admitted and not answered", registry=self.registry)
        gpu_memory = Gauge("sapiens2_gpu_memory_bytes", "GPU memory allocated by this process", registry=self.registry)
        gpu_memory.set_function(lambda: torch.cuda.memory_allocated() if torch.cuda.is_available() else 0)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
