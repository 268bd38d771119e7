"""API keys: read once at start, checked on every model request in constant time.

Keys come from ``--api-key-file`` (one key a line, ``#`` comments) or the ``SAPIENS2_API_KEYS``
environment variable (comma-separated). Clients send ``Authorization: Bearer KEY`` (or
``X-API-Key: KEY``); every stored key is compared with ``hmac.compare_digest`` so the answer's
timing says nothing about how much of a key matched.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from sapiens2.errors import UserError

KEYS_ENV = "SAPIENS2_API_KEYS"
MIN_KEY_LENGTH = 16


def read_api_keys(path: str | Path | None = None) -> tuple[str, ...]:
    """Keys from ``path`` if given, else from ``$SAPIENS2_API_KEYS``; () means the server is open."""
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise UserError(f"API key file {str(file)!r} does not exist")
        lines = (line.strip() for line in file.read_text().splitlines())
        keys = tuple(line for line in lines if line and not line.startswith("#"))
        if not keys:
            raise UserError(f"API key file {str(file)!r} holds no key (one key a line)")
    else:
        keys = tuple(key.strip() for key in os.environ.get(KEYS_ENV, "").split(",") if key.strip())
    short = [key for key in keys if len(key) < MIN_KEY_LENGTH]
    if short:
        raise UserError(f"API keys must be at least {MIN_KEY_LENGTH} characters; {len(short)} key(s) are shorter")
    return keys


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a request carries, from ``Authorization: Bearer`` or ``X-API-Key``."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return x_api_key


def key_accepted(presented: str | None, keys: tuple[str, ...]) -> bool:
    """True when no key is configured, or ``presented`` equals one of ``keys`` (constant time per key)."""
    if not keys:
        return True
    candidate = (presented or "").encode()
    matches = [hmac.compare_digest(candidate, key.encode()) for key in keys]
    return any(matches)
