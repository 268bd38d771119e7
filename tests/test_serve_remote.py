"""A real ``sapiens2 serve`` process and the SDK as its client: parity with local runs, load, overload,
graceful shutdown. Servers bind 127.0.0.1 and are stopped by PID."""

from __future__ import annotations

import json
import signal
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

import sapiens2
from sapiens2.cli.main import main
from sapiens2.compile.verify import torch_threads  # the reference runs at the server's thread count
from sapiens2.errors import UserError
from sapiens2.processing import load_image
from sapiens2.results import PoseResult, SegResult

from fixture_paths import IMAGES, case_checkpoint
from serve_helpers import SERVER_THREADS, ServerProcess

MESSI = IMAGES / "messi5.jpg"
BOX = [[180.0, 20.0, 330.0, 330.0]]
MODELS = ["-c", f"pose={case_checkpoint('task_pose')}", "-c", f"seg={case_checkpoint('task_seg')}",
          "-c", f"normal={case_checkpoint('task_normal')}", "--input-size", "128x96"]
FIXTURE_SIZE = (128, 96)  # the fixtures' own size: fast (they load as 1024x768 by default)


def local(case: str, *args, **kwargs):
    with torch_threads(SERVER_THREADS):
        options = {"input_size": FIXTURE_SIZE} | kwargs.pop("load", {})
        return sapiens2.load(case_checkpoint(case), **options).predict(*args, **kwargs)


@pytest.fixture(scope="module")
def server():
    process = ServerProcess(*MODELS).wait_ready()
    yield process
    assert process.stop(), process.log()


def test_a_served_pose_model_gives_the_local_keypoints(server: ServerProcess) -> None:
    remote = sapiens2.load(f"{server.url}/v1/models/pose", flip=True)
    assert isinstance(remote, sapiens2.Predictor) and remote.task == "pose"
    result = remote.predict(str(MESSI), boxes=BOX)
    reference = local("task_pose", str(MESSI), boxes=np.array(BOX), load={"flip": True})
    assert isinstance(result, PoseResult)
    np.testing.assert_allclose(result.keypoints, reference.keypoints, atol=1e-4)
    np.testing.assert_allclose(result.keypoint_scores, reference.keypoint_scores, atol=1e-6)
    np.testing.assert_array_equal(result.boxes, reference.boxes)
    assert result.meta["server"] == f"{server.url}/v1/models/pose" and result.meta["runtime"] == "torch"


def test_arrays_and_lists_travel_losslessly(server: ServerProcess) -> None:
    rgb = load_image(str(IMAGES / "astronaut.png"))[:, :, ::-1].copy()
    remote = sapiens2.load(f"{server.url}/v1/models/pose")
    results = remote.predict([rgb, str(MESSI)], color_order="rgb")
    references = [local("task_pose", rgb, color_order="rgb"), local("task_pose", str(MESSI))]
    for result, reference in zip(results, references):
        np.testing.assert_allclose(result.keypoints, reference.keypoints, atol=1e-4)


def test_served_dense_maps_equal_local_ones(server: ServerProcess) -> None:
    seg = sapiens2.load(f"{server.url}/v1/models/seg").predict(str(MESSI))
    assert isinstance(seg, SegResult)
    np.testing.assert_array_equal(seg.labels, local("task_seg", str(MESSI)).labels)
    normal = sapiens2.load(f"{server.url}/v1/models/normal").predict(str(MESSI))
    np.testing.assert_allclose(normal.normals, local("task_normal", str(MESSI)).normals, atol=1e-6)


def test_predict_cli_writes_the_same_files_through_the_server(server: ServerProcess, tmp_path: Path) -> None:
    def predict(*args: str) -> None:
        with torch_threads(SERVER_THREADS):
            assert main(["predict", str(MESSI), *args]) == 0

    predict("--server", server.url, "--model", "seg", "-o", str(tmp_path / "served"))
    predict("-c", str(case_checkpoint("task_seg")), "--input-size", "128x96", "-o", str(tmp_path / "local"))
    served = sorted(p.name for p in (tmp_path / "served").iterdir())
    assert served == sorted(p.name for p in (tmp_path / "local").iterdir()) == ["messi5_seg.json", "messi5_seg.npy", "messi5_seg.png"]
    np.testing.assert_array_equal(np.load(tmp_path / "served" / "messi5_seg.npy"), np.load(tmp_path / "local" / "messi5_seg.npy"))
    assert (tmp_path / "served" / "messi5_seg.png").read_bytes() == (tmp_path / "local" / "messi5_seg.png").read_bytes()
    served_json, local_json = (json.loads((tmp_path / d / "messi5_seg.json").read_text()) for d in ("served", "local"))
    assert served_json.pop("meta").pop("server") == f"{server.url}/v1/models/seg"
    local_json.pop("meta")
    assert served_json == local_json


def test_client_errors_are_one_line_user_errors(server: ServerProcess) -> None:
    with pytest.raises(UserError, match="no model named 'nope'"):
        sapiens2.load(f"{server.url}/v1/models/nope")
    with pytest.raises(UserError, match="input_size cannot be chosen"):
        sapiens2.load(f"{server.url}/v1/models/pose", input_size=FIXTURE_SIZE)
    with pytest.raises(UserError, match="boxes and flip apply to pose"):
        sapiens2.load(f"{server.url}/v1/models/seg").predict(str(MESSI), boxes=BOX)
    with pytest.raises(UserError, match="call predict"):
        sapiens2.load(f"{server.url}/v1/models/seg").run_model(np.zeros((1, 128, 96, 3), np.uint8))


def load_test(url: str, clients: int, seconds: float) -> dict[str, float]:
    """``clients`` threads posting pose requests for ``seconds``; every answer is checked against the first."""
    body = MESSI.read_bytes()
    options = json.dumps({"boxes": BOX})
    endpoint = f"{url}/v1/models/pose:predict"
    expected = httpx.post(endpoint, content=body, params={"options": options}, timeout=60).json()["instances"]
    latencies: list[float] = []
    failures: list[str] = []
    sent = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                with lock:
                    sent[0] += 1
                response = http.post(endpoint, content=body, params={"options": options})
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code != 200 or response.json()["instances"] != expected:
                        failures.append(f"{response.status_code}: {response.text[:200]}")
                    else:
                        latencies.append(elapsed)

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    wall = time.monotonic() - started
    assert not failures, failures[:3]
    assert len(latencies) == sent[0], "a request got no answer"
    ordered = sorted(latencies)
    figures = {
        "requests": len(latencies),
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "throughput_rps": len(latencies) / wall,
    }
    print(f"\nload test, {clients} clients x {seconds:g} s: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()))
    return figures


def test_a_short_load_test_answers_every_request_correctly(server: ServerProcess) -> None:
    figures = load_test(server.url, clients=8, seconds=2)
    assert figures["requests"] >= 8


@pytest.mark.slow
def test_eight_clients_for_thirty_seconds(server: ServerProcess) -> None:
    figures = load_test(server.url, clients=8, seconds=30)
    metrics = httpx.get(f"{server.url}/metrics").text
    batches = [line for line in metrics.splitlines() if line.startswith('sapiens2_batch_size_count{model="pose"}')]
    assert figures["requests"] >= 8 and batches


def post_together(url: str, count: int) -> list[httpx.Response]:
    """``count`` concurrent pose requests."""
    options = json.dumps({"boxes": BOX})
    body = MESSI.read_bytes()

    def post(_: int) -> httpx.Response:
        return httpx.post(f"{url}/v1/models/pose:predict", content=body, params={"options": options}, timeout=300)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(post, range(count)))


# A batch waits up to 3 s to fill: requests sent together are all in the server at once, whatever the CPU load.
SLOW_BATCHES = ("--input-size", "128x96", "--max-batch", "64", "--max-wait-ms", "3000", "--timeout", "300")


def test_overload_gets_503_the_server_recovers_and_sigterm_drains_in_flight_requests() -> None:
    process = ServerProcess("-c", str(case_checkpoint("task_pose")), "--max-queue", "3", *SLOW_BATCHES).wait_ready()
    try:
        crowd = post_together(process.url, 6)
        assert sorted(response.status_code for response in crowd) == [200] * 3 + [503] * 3
        busy = next(response for response in crowd if response.status_code == 503)
        assert busy.headers["retry-after"] == "1" and "limit of 3 requests" in busy.json()["error"]["message"]
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(post_together, process.url, 3)
            deadline = time.monotonic() + 60
            while "sapiens2_queue_depth 3.0" not in httpx.get(f"{process.url}/metrics").text:
                assert time.monotonic() < deadline, "the requests never arrived"
                time.sleep(0.02)
            process.process.send_signal(signal.SIGTERM)
            drained = pending.result(timeout=300)
        assert [response.status_code for response in drained] == [200] * 3
    finally:
        assert process.stop(), process.log()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{process.url}/healthz")
