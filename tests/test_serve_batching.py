"""Dynamic batching in-process: whole requests gathered up to the max batch, each given its own slice."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from sapiens2.serve.batching import MicroBatcher, run_together
from sapiens2.serve.errors import RequestError
from sapiens2.serve.limits import Admission
from sapiens2.serve.ray_launcher import run_grouped


class RecordingModel:
    """Doubles its inputs and records each batch's size: outputs are checkable by hand."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[int] = []
        self.seen: list[float] = []
        self.fail = fail

    def __call__(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        self.batches.append(len(inputs))
        self.seen.extend(inputs[:, 0].tolist())
        if self.fail:
            raise RuntimeError("model exploded")
        return {"double": inputs * 2}


def request(first: int, count: int) -> np.ndarray:
    return np.arange(first, first + count, dtype=np.float32)[:, None]


def test_requests_are_batched_whole_up_to_the_max_and_each_gets_its_own_outputs() -> None:
    model = RecordingModel()
    sizes = [1, 2, 1, 3, 1, 6]
    requests = [request(10 * index, size) for index, size in enumerate(sizes)]

    async def scenario() -> list[dict[str, np.ndarray]]:
        batcher = MicroBatcher(model, max_batch=4, max_wait_s=0.2)
        answers = await asyncio.gather(*(batcher.submit(inputs) for inputs in requests))
        await batcher.close()
        return answers

    answers = asyncio.run(scenario())
    for inputs, answer in zip(requests, answers):
        np.testing.assert_array_equal(answer["double"], inputs * 2)
    # Arrival order, whole requests, at most 4 inputs unless one request alone is larger.
    assert model.batches == [4, 4, 6]
    assert sum(model.batches) == sum(sizes)


def test_a_lone_request_waits_at_most_the_max_wait() -> None:
    model = RecordingModel()

    async def scenario() -> float:
        batcher = MicroBatcher(model, max_batch=8, max_wait_s=0.3)
        started = time.perf_counter()
        await batcher.submit(request(0, 1))
        elapsed = time.perf_counter() - started
        await batcher.close()
        return elapsed

    elapsed = asyncio.run(scenario())
    assert 0.3 <= elapsed < 2.0 and model.batches == [1]


def test_a_model_error_reaches_every_request_of_its_batch_and_the_batcher_goes_on() -> None:
    model = RecordingModel(fail=True)

    async def scenario() -> tuple[list, dict]:
        batcher = MicroBatcher(model, max_batch=4, max_wait_s=0.05)
        failed = await asyncio.gather(batcher.submit(request(0, 1)), batcher.submit(request(5, 1)), return_exceptions=True)
        model.fail = False
        recovered = await batcher.submit(request(7, 2))
        await batcher.close()
        return failed, recovered

    failed, recovered = asyncio.run(scenario())
    assert [str(error) for error in failed] == ["model exploded"] * 2
    np.testing.assert_array_equal(recovered["double"], request(7, 2) * 2)


def test_a_request_given_up_before_its_batch_runs_is_never_computed() -> None:
    model = RecordingModel()

    async def scenario() -> None:
        batcher = MicroBatcher(model, max_batch=8, max_wait_s=0.3)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(batcher.submit(request(100, 1)), 0.05)
        await batcher.submit(request(1, 1))
        await batcher.close()

    asyncio.run(scenario())
    assert model.seen == [1.0]


class Scaled:
    """A served model stand-in whose outputs are its inputs times ``factor``."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def run(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        return {"out": inputs * self.factor}


class BatchSizes:
    """Stands in for ServerMetrics: records (model, batch size)."""

    def __init__(self) -> None:
        self.batch_size = self
        self.observed: list[tuple[str, int]] = []

    def labels(self, model: str) -> BatchSizes:
        self.model = model
        return self

    def observe(self, size: int) -> None:
        self.observed.append((self.model, size))


def test_run_together_and_run_grouped_keep_every_request_in_its_place() -> None:
    parts = run_together(lambda x: {"out": x + 1}, [request(0, 2), request(5, 1)])
    np.testing.assert_array_equal(parts[0]["out"], [[1.0], [2.0]])
    np.testing.assert_array_equal(parts[1]["out"], [[6.0]])
    mixed = [("a", request(1, 1)), ("b", request(10, 2)), ("a", request(20, 1))]
    metrics = BatchSizes()
    answers = run_grouped({"a": Scaled(2), "b": Scaled(3)}, mixed, metrics)
    expected = [[[2.0]], [[30.0], [33.0]], [[40.0]]]
    for answer, values in zip(answers, expected):
        np.testing.assert_array_equal(answer["out"], values)
    assert metrics.observed == [("a", 2), ("b", 2)]


def test_admission_refuses_one_request_past_the_limit_with_retry_after() -> None:
    depths: list[int] = []
    admission = Admission(limit=2, retry_after_s=3, on_change=depths.append)
    with admission.admit(), admission.admit():
        with pytest.raises(RequestError) as refused:
            with admission.admit():
                pass
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "3"}
    assert depths == [1, 2, 1, 0] and admission.inside == 0
