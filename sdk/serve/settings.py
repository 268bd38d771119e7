"""Every knob of a server in one frozen record: where it listens, how it batches, what it refuses."""

from __future__ import annotations

from dataclasses import dataclass

from sapiens2.errors import UserError

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ServeSettings:
    """Limits are checked before any work: body bytes before reading, pixels before decoding.

    ``max_queue`` bounds the requests admitted at once (waiting or running); one more is answered
    503 with ``Retry-After`` instead of growing memory. ``max_batch`` counts model inputs (person
    crops for pose, images otherwise) gathered from any number of requests; a batch runs when it is
    full or when its first input has waited ``max_wait_ms``.
    """

    host: str = LOOPBACK
    port: int = DEFAULT_PORT
    max_batch: int = 8
    max_wait_ms: float = 5.0
    max_queue: int = 64
    max_body_bytes: int = 32 * 2**20
    max_pixels: int = 50_000_000
    max_boxes: int = 64
    request_timeout_s: float = 60.0
    retry_after_s: int = 1
    api_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        positive = {
            "max batch (--max-batch)": self.max_batch,
            "max queue (--max-queue)": self.max_queue,
            "max body bytes (--max-body-mb)": self.max_body_bytes,
            "max pixels (--max-pixels)": self.max_pixels,
            "max boxes (--max-boxes)": self.max_boxes,
            "request timeout (--timeout)": self.request_timeout_s,
        }
        for name, value in positive.items():
            if value <= 0:
                raise UserError(f"{name} must be positive, got {value}")
        if self.max_wait_ms < 0:
            raise UserError(f"max wait (--max-wait-ms) must be zero or more, got {self.max_wait_ms}")
        if not 0 <= self.port <= 65535:
            raise UserError(f"port must be 0..65535, got {self.port}")
