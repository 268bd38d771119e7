"""The HTTP API in-process (FastAPI's TestClient): contract, auth, every limit, garbage bodies."""

from __future__ import annotations

import asyncio
import json
import struct
import zlib

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

import sapiens2
from sapiens2.serve import BatchingEngine, LoadOptions, ModelSpec, ServeSettings, attach_engine, create_app, load_models
from sapiens2.serve.auth import key_accepted
from sapiens2.results.wire import NPZ_MEDIA_TYPE, decode_result

from fixture_paths import IMAGES, case_checkpoint

MESSI = IMAGES / "messi5.jpg"
SIZE = (128, 96)
BOX = [180.0, 20.0, 330.0, 330.0]
KEY = "k" * 16 + "-test-key"
DEFAULTS = ServeSettings(max_batch=4, max_wait_ms=1.0)


@pytest.fixture(scope="module")
def models():
    specs = [ModelSpec(checkpoint=str(case_checkpoint("task_pose"))), ModelSpec(checkpoint=str(case_checkpoint("task_seg")))]
    return load_models(specs, LoadOptions(input_size=SIZE), DEFAULTS)


def serving(models, engine=None, **overrides) -> TestClient:
    settings = ServeSettings(**(vars(DEFAULTS) | overrides))
    app = create_app(settings)
    attach_engine(app, engine or BatchingEngine(models, settings, app.state.metrics))
    # Answer 500s as the server does instead of re-raising them in the test (uvicorn logs them).
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(models):
    with serving(models) as client:
        yield client


def predict(client: TestClient, model: str, body: bytes, options: dict | str | None = None, **headers: str):
    params = {"options": options if isinstance(options, str) else json.dumps(options)} if options is not None else {}
    return client.post(f"/v1/models/{model}:predict", content=body, params=params, headers=headers)


def assert_error(response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    message = response.json()["error"]["message"]
    assert words in message and "Traceback" not in message


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (the pixels would be a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 3 * width) * 16)  # 16 rows of zeros: a few hundred bytes
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


# --- contract -----------------------------------------------------------------------------------------------


def test_models_are_listed_with_their_task_size_precision_and_device(client: TestClient) -> None:
    listed = client.get("/v1/models").json()["models"]
    assert [(m["name"], m["task"], m["input_size"], m["precision"], m["device"]) for m in listed] == [
        ("pose", "pose", [128, 96], "fp32", "cpu"),
        ("seg", "seg", [128, 96], "fp32", "cpu"),
    ]
    assert client.get("/v1/models/seg").json()["task"] == "seg"
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "models": ["pose", "seg"]}
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/models", "/v1/models/{name}:predict", "/healthz", "/readyz", "/metrics"} <= set(paths)


def test_pose_answers_the_sdk_result_json_equal_to_a_local_run(client: TestClient) -> None:
    boxes = [BOX, [10.0, 10.0, 200.0, 300.0, 0.5]]
    response = predict(client, "pose", MESSI.read_bytes(), {"boxes": boxes})
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["task"] == "pose" and document["num_keypoints"] == 308
    local = sapiens2.load(case_checkpoint("task_pose"), input_size=SIZE).predict(str(MESSI), boxes=np.array([BOX + [1.0], boxes[1]]))
    instances = document["instances"]
    assert [item["bbox"] for item in instances] == [box[:4] for box in boxes]
    assert [item["bbox_score"] for item in instances] == [1.0, 0.5]
    np.testing.assert_allclose([item["keypoints"] for item in instances], local.keypoints, atol=1e-4)


def test_multipart_and_raw_bodies_give_the_same_answer(client: TestClient) -> None:
    data = MESSI.read_bytes()
    raw = predict(client, "pose", data, {"boxes": [BOX]}).json()
    form = client.post(
        "/v1/models/pose:predict", files={"image": ("messi.jpg", data, "image/jpeg")}, data={"options": json.dumps({"boxes": [BOX]})}
    ).json()
    assert raw["instances"] == form["instances"]


def test_seg_labels_travel_as_uint8_in_an_npz_and_equal_a_local_run(client: TestClient) -> None:
    response = predict(client, "seg", MESSI.read_bytes())
    assert response.headers["content-type"] == NPZ_MEDIA_TYPE
    result = decode_result(response.content, response.headers["content-type"])
    local = sapiens2.load(case_checkpoint("task_seg"), input_size=SIZE).predict(str(MESSI))
    assert result.labels.dtype == np.uint8
    np.testing.assert_array_equal(result.labels, local.labels)
    summary = predict(client, "seg", MESSI.read_bytes(), {"outputs": []})
    assert summary.headers["content-type"] == "application/json" and summary.json()["pixel_counts"]


def test_metrics_count_requests_latency_batches_and_queue(client: TestClient) -> None:
    predict(client, "pose", MESSI.read_bytes())
    predict(client, "pose", b"not an image", **{"content-type": "image/png"})
    text = client.get("/metrics").text
    for line in (
        'sapiens2_requests_total{model="pose",status="200"}',
        'sapiens2_requests_total{model="pose",status="415"}',
        'sapiens2_request_seconds_bucket{le="0.005",model="pose"}',
        'sapiens2_batch_size_bucket{le="1.0",model="pose"}',
        "sapiens2_queue_depth 0.0",
        "sapiens2_gpu_memory_bytes 0.0",
    ):
        assert line in text, line


# --- auth ---------------------------------------------------------------------------------------------------


def test_api_keys_are_required_when_configured(models) -> None:
    with serving(models, api_keys=(KEY,)) as client:
        assert_error(client.get("/v1/models"), 401, "API key")
        assert_error(predict(client, "pose", MESSI.read_bytes(), authorization="Bearer wrong-key-000000000"), 401, "API key")
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        assert predict(client, "pose", MESSI.read_bytes(), **{"x-api-key": KEY}).status_code == 200
        assert client.get("/healthz").status_code == 200
    assert key_accepted(None, ()) and not key_accepted(KEY[:-1], (KEY,)) and key_accepted(KEY, ("o" * 16, KEY))


# --- limits and bad requests ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_before_it_is_read(models) -> None:
    with serving(models, max_body_bytes=1000) as client:
        assert_error(predict(client, "pose", MESSI.read_bytes()), 413, "limit of 1000 bytes")
        chunks = (b"\xff\xd8\xff" + b"0" * 497 for _ in range(4))  # chunked: no Content-Length to trust
        assert_error(client.post("/v1/models/pose:predict", content=chunks), 413, "limit of 1000 bytes")
        assert client.get("/healthz").status_code == 200


def test_a_decompression_bomb_is_refused_from_its_header(client: TestClient) -> None:
    bomb = png_header_only(8000, 8000)
    assert len(bomb) < 20_000
    assert_error(predict(client, "pose", bomb), 413, "8000x8000 = 64000000 pixels; this server accepts at most 50000000")
    assert_error(predict(client, "pose", png_header_only(100_000, 100_000)), 413, "refused before decoding")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"GIF89a....", "application/octet-stream", 415, "not a JPEG or PNG"),
        (MESSI.read_bytes(), "text/plain", 415, "'text/plain' is not accepted"),
        ((IMAGES / "astronaut.png").read_bytes()[:5000], "image/png", 400, "could not be decoded"),
        (b"\x89PNG\r\n\x1a\n garbage", "image/png", 400, "header could not be read"),
        (b"", "image/jpeg", 400, "carries no image"),
    ],
)
def test_bad_images_get_the_status_that_names_the_problem(client, body, content_type, status, words) -> None:
    assert_error(predict(client, "pose", body, **{"content-type": content_type}), status, words)


@pytest.mark.parametrize(
    ("model", "options", "words"),
    [
        ("pose", {"boxes": [[1, 2, 3]]}, "has 3 numbers"),
        ("pose", {"boxes": [[50, 50, 10, 10]]}, "is empty"),
        ("pose", {"boxes": [BOX] * 65}, "at most 64"),
        ("pose", {"flip": "sometimes"}, "flip"),
        ("pose", {"colour": "red"}, "colour"),
        ("seg", {"flip": True}, "apply to pose"),
        ("seg", {"outputs": ["normal"]}, "unknown outputs ['normal']"),
        ("pose", "{not json", "bad options"),
    ],
)
def test_bad_options_get_422_naming_the_problem(client, model, options, words) -> None:
    assert_error(predict(client, model, MESSI.read_bytes(), options), 422, words)


def test_unknown_models_and_routes_get_json_404s(client: TestClient) -> None:
    assert_error(predict(client, "nope", MESSI.read_bytes()), 404, "no model named 'nope'; this server has pose, seg")
    assert_error(client.get("/v2/anything"), 404, "Not Found")


def test_not_ready_is_503_with_retry_after() -> None:
    with TestClient(create_app(DEFAULTS)) as client:
        response = predict(client, "pose", MESSI.read_bytes())
        assert_error(response, 503, "not ready")
        assert response.headers["retry-after"] == "1"
        assert client.get("/readyz").status_code == 503 and client.get("/healthz").status_code == 200


class StuckEngine(BatchingEngine):
    async def run(self, name, inputs):
        await asyncio.sleep(30)


class BrokenEngine(BatchingEngine):
    def __init__(self, models) -> None:
        super().__init__(models, DEFAULTS, create_app(DEFAULTS).state.metrics)
        self.calls = 0

    async def run(self, name, inputs):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("secret internal detail")
        return await super().run(name, inputs)


def test_a_slow_prediction_times_out_with_504(models) -> None:
    with serving(models, StuckEngine(models, DEFAULTS, create_app(DEFAULTS).state.metrics), request_timeout_s=0.2) as client:
        assert_error(predict(client, "pose", MESSI.read_bytes()), 504, "0.2 s limit")


def test_an_internal_error_is_a_json_500_without_details_and_the_server_keeps_serving(models) -> None:
    with serving(models, BrokenEngine(models)) as client:
        failed = predict(client, "pose", MESSI.read_bytes())
        assert_error(failed, 500, "RuntimeError")
        assert "secret internal detail" not in failed.text
        assert predict(client, "pose", MESSI.read_bytes()).status_code == 200


# --- property: garbage never breaks the server -------------------------------------------------------------------


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from([b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"]),
    noise=st.binary(max_size=3000),
    content_type=st.sampled_from(["image/jpeg", "image/png", "application/octet-stream", "multipart/form-data", "text/html"]),
    options=st.one_of(st.none(), st.text(min_size=1, max_size=40)),
)
def test_garbage_bodies_get_a_4xx_json_error_never_a_500(client, prefix, noise, content_type, options) -> None:
    response = predict(client, "pose", prefix + noise, options, **{"content-type": content_type})
    assert response.status_code in (400, 413, 415, 422), response.text
    assert set(response.json()) == {"error"}


def test_the_server_still_answers_after_garbage(client: TestClient) -> None:
    predict(client, "pose", b"\xff\xd8\xff" + bytes(range(256)) * 10)
    assert predict(client, "pose", MESSI.read_bytes(), {"boxes": [BOX]}).status_code == 200


def test_pixel_limit_counts_header_pixels(models) -> None:
    with serving(models, max_pixels=1000) as client:
        assert_error(predict(client, "pose", (IMAGES / "astronaut.png").read_bytes()), 413, "at most 1000")
