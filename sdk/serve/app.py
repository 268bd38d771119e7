"""The HTTP API (FastAPI), identical under the embedded uvicorn server and the Ray Serve deployment.

``create_app(settings)`` builds the routes; a launcher attaches an ``Engine`` once the models are
loaded (``/readyz`` answers 503 until then). Every refusal is a JSON error naming the problem
(``RequestError``); an unexpected failure is a 500 without a traceback, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from sapiens2 import __version__
from sapiens2.results.wire import ARRAY_NAMES, encode_result

from .auth import key_accepted, presented_key
from .engine import Engine
from .errors import RequestError, error_body
from .images import decode_image
from .limits import Admission, BodyLimit
from .metrics import ServerMetrics
from .models import ServedModel
from .options import PredictOptions, parse_options
from .settings import ServeSettings
from .upload import read_upload

LOG = logging.getLogger("sapiens2.serve")
API_PREFIX = "/v1"


def create_app(settings: ServeSettings) -> FastAPI:
    """The API with no engine yet: attach one with ``attach_engine`` when the models are ready."""
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if app.state.engine is not None:
            await app.state.engine.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Sapiens2 server",
        version=__version__,
        description="Sapiens2 pose, body-part segmentation, normals, pointmaps and albedo over HTTP.",
    )
    app.state.settings = settings
    app.state.engine = None
    app.state.loading = "models are loading"
    app.state.metrics = metrics = ServerMetrics()
    app.state.admission = Admission(settings.max_queue, settings.retry_after_s, metrics.queue_depth.set)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    _add_error_handlers(app)
    _add_routes(app)
    return app


def attach_engine(app: FastAPI, engine: Engine) -> None:
    """Serve predictions from ``engine`` from now on (``/readyz`` turns 200)."""
    app.state.engine = engine


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    metrics: ServerMetrics = app.state.metrics

    @app.exception_handler(RequestError)
    async def refused(_: Request, error: RequestError) -> JSONResponse:
        metrics.errors.labels(status=str(error.status)).inc()
        return _error(error.status, error.message, error.headers)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        metrics.errors.labels(status=str(error.status_code)).inc()
        return _error(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        metrics.errors.labels(status="422").inc()
        return _error(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        LOG.exception("unexpected error while answering a request")
        metrics.errors.labels(status="500").inc()
        return _error(500, f"internal error ({type(error).__name__}); the server logged it and keeps serving")


def _engine(app: FastAPI) -> Engine:
    engine = app.state.engine
    if engine is None:
        raise RequestError(503, f"not ready: {app.state.loading}", {"Retry-After": str(app.state.settings.retry_after_s)})
    return engine


def _authorize(app: FastAPI, authorization: str | None, x_api_key: str | None) -> None:
    if not key_accepted(presented_key(authorization, x_api_key), app.state.settings.api_keys):
        raise RequestError(401, "missing or wrong API key: send 'Authorization: Bearer KEY'", {"WWW-Authenticate": "Bearer"})


def _model(engine: Engine, name: str) -> ServedModel:
    if name not in engine.models:
        raise RequestError(404, f"no model named {name!r}; this server has {', '.join(sorted(engine.models))}")
    return engine.models[name]


def _add_routes(app: FastAPI) -> None:
    settings: ServeSettings = app.state.settings
    metrics: ServerMetrics = app.state.metrics

    @app.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Every model is loaded and answering")
    async def readyz() -> dict[str, Any]:
        return {"status": "ready", "models": sorted(_engine(app).models)}

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get(f"{API_PREFIX}/models", summary="The served models")
    async def list_models(
        authorization: str | None = Header(None), x_api_key: str | None = Header(None)
    ) -> dict[str, list[dict[str, Any]]]:
        _authorize(app, authorization, x_api_key)
        return {"models": [model.info() for model in _engine(app).models.values()]}

    @app.get(API_PREFIX + "/models/{name}", summary="One served model")
    async def describe_model(
        name: str, authorization: str | None = Header(None), x_api_key: str | None = Header(None)
    ) -> dict[str, Any]:
        _authorize(app, authorization, x_api_key)
        return _model(_engine(app), name).info()

    @app.post(
        API_PREFIX + "/models/{name}:predict",
        summary="Run a model on one JPEG/PNG image",
        description="Multipart (file field `image`, text field `options`) or the raw image bytes with "
        "`?options=`. Options (JSON): `boxes`, `flip`, `outputs`, `dense_dtype`. Answers the result "
        "JSON, or for dense maps an .npz holding `result.json` and the arrays.",
        response_class=Response,
    )
    async def predict(
        name: str, request: Request, authorization: str | None = Header(None), x_api_key: str | None = Header(None)
    ) -> Response:
        _authorize(app, authorization, x_api_key)
        engine = _engine(app)
        model = _model(engine, name)
        started = time.perf_counter()
        status = 500
        try:
            with app.state.admission.admit():
                body, media_type = await asyncio.wait_for(_predict(engine, model, request, settings), settings.request_timeout_s)
            status = 200
            return Response(body, media_type=media_type)
        except TimeoutError as error:
            status = 504
            raise RequestError(504, f"the prediction took longer than this server's {settings.request_timeout_s:g} s limit") from error
        except RequestError as error:
            status = error.status
            raise
        finally:
            metrics.requests.labels(model=name, status=str(status)).inc()
            metrics.latency.labels(model=name).observe(time.perf_counter() - started)


def _checked_options(model: ServedModel, options: PredictOptions, settings: ServeSettings) -> None:
    if model.task != "pose" and (options.boxes is not None or options.flip):
        raise RequestError(422, f"boxes and flip apply to pose, but {model.name!r} is a {model.task} model")
    if options.boxes is not None and len(options.boxes) > settings.max_boxes:
        raise RequestError(422, f"{len(options.boxes)} boxes: this server takes at most {settings.max_boxes} per image")
    unknown = sorted(set(options.outputs or ()) - set(ARRAY_NAMES[model.task]))
    if unknown:
        raise RequestError(422, f"unknown outputs {unknown} for {model.task}; it has {list(ARRAY_NAMES[model.task])}")


async def _predict(engine: Engine, model: ServedModel, request: Request, settings: ServeSettings) -> tuple[bytes, str]:
    data, options_text = await read_upload(request)
    options = parse_options(options_text)
    _checked_options(model, options, settings)
    image = await run_in_threadpool(decode_image, data, settings.max_pixels)
    pipeline = model.pipeline(options.flip)
    try:
        prepared = await run_in_threadpool(pipeline.prepare, image, boxes=options.boxes_array())
    except ValueError as error:
        raise RequestError(422, f"bad boxes: {error}") from error
    outputs = await engine.run(model.name, prepared.inputs)
    result = await run_in_threadpool(pipeline.finish, outputs, prepared)
    result.meta.update(model.predictor.meta)
    return await run_in_threadpool(encode_result, result, options.outputs, options.dense_dtype)
