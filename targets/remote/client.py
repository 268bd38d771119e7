"""The HTTP side of the remote runtime: one served model's URL, its description, and predictions.

Errors the server names (4xx) become ``UserError`` with the server's message; a server that is
busy (503 + ``Retry-After``) is retried a few times before giving up; an unreachable server is a
``UserError`` saying where it looked.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from sapiens2.errors import UserError
from sapiens2.results import ResultIO
from sapiens2.results.wire import decode_result

API_KEY_ENV = "SAPIENS2_API_KEY"
BUSY_RETRIES = 5
MAX_RETRY_WAIT_S = 10.0


def split_model_url(url: str) -> tuple[str, str]:
    """``http://host:8000/v1/models/pose`` -> (``http://host:8000/v1``, ``pose``)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    api, marker, name = path.rpartition("/models/")
    if parts.scheme not in ("http", "https") or not parts.netloc or not marker or not name or "/" in name:
        raise UserError(f"{url!r} is not a model URL: expected http://HOST:PORT/v1/models/NAME")
    return f"{parts.scheme}://{parts.netloc}{api}", name


class RemoteModel:
    """One model of a ``sapiens2 serve`` server: ``info()`` and ``predict(image bytes, options)``."""

    name: ClassVar[str] = "remote"

    def __init__(self, url: str, api_key: str | None = None, timeout_s: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self.api_base, self.model_name = split_model_url(self.url)
        key = api_key or os.environ.get(API_KEY_ENV)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(headers=headers, timeout=timeout_s)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return True, ""

    @classmethod
    def version(cls) -> str:
        return httpx.__version__

    def info(self) -> dict[str, Any]:
        """The server's description of the model (task, arch, input size, precision, device)."""
        return self._request("GET", f"{self.api_base}/models/{self.model_name}").json()

    def predict(self, image: bytes, options: dict[str, Any]) -> ResultIO:
        """The Result of the served model on JPEG/PNG ``image`` bytes."""
        response = self._request(
            "POST",
            f"{self.api_base}/models/{self.model_name}:predict",
            files={"image": ("image", image, "application/octet-stream")},
            data={"options": json.dumps(options)},
        )
        return decode_result(response.content, response.headers.get("content-type", ""))

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(BUSY_RETRIES + 1):
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.HTTPError as error:
                raise UserError(f"cannot reach the server at {self.api_base}: {error}") from error
            if response.status_code != 503 or attempt == BUSY_RETRIES:
                break
            time.sleep(min(float(response.headers.get("retry-after", 1)), MAX_RETRY_WAIT_S))
        if response.status_code >= 400:
            raise UserError(f"server {self.api_base} answered {response.status_code}: {_message(response)}")
        return response


def _message(response: httpx.Response) -> str:
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
