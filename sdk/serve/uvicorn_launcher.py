"""The embedded server: one process, uvicorn on the API, models loading in the background.

The port answers at once (``/healthz`` 200, ``/readyz`` 503 "loading") while the models load
with a progress bar; when they are loaded the engine is attached and ``/readyz`` turns 200. A model
that cannot load (missing file, too big for the GPU) stops the server with that one-line error.
SIGTERM/SIGINT stop accepting connections and let in-flight requests finish (up to the request
timeout) before the process exits.
"""

from __future__ import annotations

import sys
import threading

import uvicorn
from fastapi import FastAPI

from .app import attach_engine, create_app
from .engine import BatchingEngine
from .logs import uvicorn_log_config
from .models import LoadOptions, ModelSpec, load_models
from .settings import ServeSettings


def serve_embedded(specs: list[ModelSpec], options: LoadOptions, settings: ServeSettings) -> None:
    """Serve ``specs`` until SIGTERM/SIGINT; re-raises a loading error after the server stops."""
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            timeout_graceful_shutdown=int(settings.request_timeout_s) + 1,
            log_level="warning",
            log_config=uvicorn_log_config(),
        )
    )
    failure: list[Exception] = []
    loader = threading.Thread(
        target=_load_and_attach, args=(app, server, specs, options, settings, failure), daemon=True
    )
    loader.start()
    server.run()
    if failure:
        raise failure[0]


def _load_and_attach(
    app: FastAPI,
    server: uvicorn.Server,
    specs: list[ModelSpec],
    options: LoadOptions,
    settings: ServeSettings,
    failure: list[Exception],
) -> None:
    try:
        models = load_models(specs, options, settings)
    except Exception as error:  # a UserError ends as one line; anything else keeps its traceback
        failure.append(error)
        server.should_exit = True
        return
    attach_engine(app, BatchingEngine(models, settings, app.state.metrics))
    names = ", ".join(models)
    print(f"ready: serving {names} on http://{settings.host}:{settings.port} (API docs at /docs)", file=sys.stderr, flush=True)
