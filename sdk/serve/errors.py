"""One exception for every request the server refuses: an HTTP status and a message naming the problem."""

from __future__ import annotations


class RequestError(Exception):
    """Answered as ``{"error": {"status": ..., "message": ...}}`` with ``status`` (4xx, or 503/504)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_body(status: int, message: str) -> dict:
    """The JSON every error answer carries."""
    return {"error": {"status": status, "message": message}}
