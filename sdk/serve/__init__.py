"""``sapiens2 serve``: the models over HTTP, embedded (uvicorn) or scaled out on Ray Serve.

``create_app`` is the one FastAPI app; ``serve_embedded`` and ``sapiens2.serve.ray_launcher``
are the two launchers. Importing this package does not import Ray.
"""

from .app import attach_engine, create_app
from .auth import read_api_keys
from .engine import BatchingEngine
from .models import LoadOptions, ModelSpec, ServedModel, load_models
from .settings import ServeSettings

__all__ = [
    "BatchingEngine",
    "LoadOptions",
    "ModelSpec",
    "ServeSettings",
    "ServedModel",
    "attach_engine",
    "create_app",
    "load_models",
    "read_api_keys",
]
