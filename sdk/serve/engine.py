"""Where predictions run: the models by name and their batched model call.

``BatchingEngine`` is the embedded server's (one ``MicroBatcher`` per model); the Ray deployment
provides its own engine over ``@serve.batch``. The request handling in ``app.py`` sees only this
small interface, which is why both launchers share every line of it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .batching import MicroBatcher, Outputs
from .metrics import ServerMetrics
from .models import ServedModel
from .settings import ServeSettings


class Engine(Protocol):
    models: dict[str, ServedModel]

    async def run(self, name: str, inputs: np.ndarray) -> Outputs:
        """Model outputs for one request's prepared inputs, batched with other requests'."""
        ...

    async def close(self) -> None: ...


class BatchingEngine:
    """One dynamic batcher per model, in this process."""

    def __init__(self, models: dict[str, ServedModel], settings: ServeSettings, metrics: ServerMetrics) -> None:
        self.models = models
        self._batchers = {
            name: MicroBatcher(
                model.run,
                settings.max_batch,
                settings.max_wait_ms / 1000,
                metrics.batch_size.labels(model=name).observe,
            )
            for name, model in models.items()
        }

    async def run(self, name: str, inputs: np.ndarray) -> Outputs:
        return await self._batchers[name].submit(inputs)

    async def close(self) -> None:
        for batcher in self._batchers.values():
            await batcher.close()
