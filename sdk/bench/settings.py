"""How a benchmark runs: rounds, warm-up, batch for throughput, threads, the optional video clip and MediaPipe rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sapiens2.errors import UserError

DEFAULT_RUNS = 10
DEFAULT_WARMUP = 2
DEFAULT_THREADS = 2
DEFAULT_VIDEO_FRAMES = 16


@dataclass(frozen=True)
class BenchSettings:
    runs: int = DEFAULT_RUNS
    warmup: int = DEFAULT_WARMUP
    batch: int = 1
    threads: int = DEFAULT_THREADS
    mediapipe_venv: Path | None = None  # MediaPipe rows are added when set
    # Compile options declared for the bench (``Flag(commands=...)`` with "bench"), other than the threads
    # above: every bundle the matrix compiles gets them.
    compile_options: Mapping[str, Any] = field(default_factory=dict)
    # Each row's frames/s on this clip (video path at ``batch`` frames per pass, and single-frame predict) when set.
    video: Path | None = None
    video_frames: int = DEFAULT_VIDEO_FRAMES

    def __post_init__(self) -> None:
        if self.runs < 1 or self.warmup < 0 or self.batch < 1 or self.threads < 1:
            raise UserError(
                f"--runs, --batch and --threads must be >= 1 and --warmup >= 0, got {self.runs}, {self.batch}, "
                f"{self.threads}, {self.warmup}"
            )
        if self.video_frames < 1:
            raise UserError(f"--video-frames must be >= 1, got {self.video_frames}")
