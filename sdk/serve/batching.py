"""Dynamic batching: model inputs from concurrent requests run through the model together.

``run_together`` is the one batched model call, shared by the in-process ``MicroBatcher`` and the
Ray Serve deployment (whose ``@serve.batch`` does the gathering there). Items are whole requests
(all person crops of one image stay together); a batch closes when it holds ``max_batch`` inputs
or when its first request has waited ``max_wait_s``. Batches run one at a time on one worker
thread per model, so the event loop keeps accepting requests while the model runs, and requests
that arrive meanwhile form the next batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

Outputs = dict[str, np.ndarray]
ModelRun = Callable[[np.ndarray], Outputs]


def run_together(run: ModelRun, items: list[np.ndarray]) -> list[Outputs]:
    """Run the concatenation of ``items`` once and give each item its own slice of the outputs."""
    outputs = run(np.concatenate(items))
    sliced, start = [], 0
    for item in items:
        stop = start + len(item)
        sliced.append({name: value[start:stop] for name, value in outputs.items()})
        start = stop
    return sliced


class MicroBatcher:
    """``await submit(inputs)`` -> that request's outputs, computed in a batch with its neighbours."""

    def __init__(
        self,
        run: ModelRun,
        max_batch: int,
        max_wait_s: float,
        observe_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.observe_batch = observe_batch
        self._pending: deque[tuple[np.ndarray, asyncio.Future]] = deque()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sapiens2-batch")
        self._arrived: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None

    async def submit(self, inputs: np.ndarray) -> Outputs:
        loop = asyncio.get_running_loop()
        if self._worker is None or self._worker.done():
            self._arrived = asyncio.Event()
            self._worker = loop.create_task(self._serve_batches())
        future = loop.create_future()
        self._pending.append((inputs, future))
        self._arrived.set()
        return await future

    async def close(self) -> None:
        """Stop the worker (pending requests are cancelled) and its thread."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        for _, future in self._pending:
            future.cancel()
        self._executor.shutdown(wait=False)

    def _waiting_inputs(self) -> int:
        return sum(len(inputs) for inputs, future in self._pending if not future.done())

    async def _serve_batches(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._arrived.wait()
            deadline = loop.time() + self.max_wait_s
            while self._waiting_inputs() < self.max_batch and (remaining := deadline - loop.time()) > 0:
                self._arrived.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), remaining)
            batch = self._take_batch()
            if not self._pending:
                self._arrived.clear()
            if batch:
                await self._run_batch(batch)

    def _take_batch(self) -> list[tuple[np.ndarray, asyncio.Future]]:
        """Whole requests up to ``max_batch`` inputs (at least one); requests already given up are dropped."""
        batch: list[tuple[np.ndarray, asyncio.Future]] = []
        size = 0
        while self._pending:
            inputs, future = self._pending[0]
            if future.done():
                self._pending.popleft()
                continue
            if batch and size + len(inputs) > self.max_batch:
                break
            batch.append(self._pending.popleft())
            size += len(inputs)
        return batch

    async def _run_batch(self, batch: list[tuple[np.ndarray, asyncio.Future]]) -> None:
        items = [inputs for inputs, _ in batch]
        if self.observe_batch is not None:
            self.observe_batch(sum(len(inputs) for inputs in items))
        try:
            outputs = await asyncio.get_running_loop().run_in_executor(
                self._executor, run_together, self.run, items
            )
        except Exception as error:  # the model failed: every request of the batch gets the error
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, outputs):
            if not future.done():
                future.set_result(result)
