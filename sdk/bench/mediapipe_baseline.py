"""MediaPipe as an outside baseline: its pose landmarker and selfie segmenter on the same image.

``mediapipe==0.10.21`` is the last wheel that bundles these models (so it runs offline); it needs
numpy < 2 and protobuf < 5, which clash with the SDK's environment, so it lives in its own virtual
environment (created on request, ``ensure_venv``) and runs in a worker process
(``mediapipe_worker.py``) that the benchmark drives one request at a time, which keeps the A B
alternation with the PyTorch reference. MediaPipe gets the whole original image and does its own
detection and resizing; its models are not Sapiens2 (33 landmarks, a person/background mask), so
its rows have no fidelity figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sapiens2.errors import MediaPipeUnavailable

TARGET = "mediapipe"
PRECISION = "as shipped"
REQUIREMENTS = ("mediapipe==0.10.21", "numpy<2", "protobuf<5", "opencv-python-headless")
DEFAULT_VENV = Path("~/.cache/sapiens2/mediapipe-venv")
WORKER = Path(__file__).with_name("mediapipe_worker.py")
MODELS = {"pose": "BlazePose full: 33 landmarks, with its person detector", "seg": "selfie segmenter: person/background mask"}
LOG_TAIL = 400


def venv_python(venv: str | Path) -> Path:
    return Path(venv).expanduser() / "bin" / "python"


def has_mediapipe(python: Path) -> bool:
    return python.is_file() and subprocess.run([str(python), "-c", "import mediapipe, cv2"], capture_output=True, check=False).returncode == 0


def ensure_venv(venv: str | Path = DEFAULT_VENV, log: Callable[[str], None] | None = None) -> Path:
    """The Python of a virtual environment with MediaPipe, made (venv + pip install) when missing."""
    python = venv_python(venv)
    if has_mediapipe(python):
        return python
    (log or _to_stderr)(f"installing {' '.join(REQUIREMENTS)} into {Path(venv).expanduser()} (once)")
    steps = ([sys.executable, "-m", "venv", str(Path(venv).expanduser())], [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS])
    for step in steps if not python.is_file() else steps[1:]:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise MediaPipeUnavailable(f"`{' '.join(step)}` failed: {(done.stderr or done.stdout).strip()[-LOG_TAIL:]}")
    if not has_mediapipe(python):
        raise MediaPipeUnavailable(f"mediapipe does not import in {python} after installing it; delete {Path(venv).expanduser()} and retry")
    return python


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)  # stdout may carry the JSON report


class MediaPipeRunner:
    """One MediaPipe model in a worker process; ``run`` processes the image the worker was given."""

    name = TARGET

    def __init__(self, python: Path, task: str, image: Path, cpus: int) -> None:
        if task not in MODELS:
            raise MediaPipeUnavailable(f"MediaPipe has no {task} model to compare with (it has {', '.join(MODELS)})")
        self.task = task
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - the worker's stderr, kept until close()
        command = [str(python), str(WORKER), task, str(image), str(cpus)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True)
        hello = self._request(None)
        self.version: str = hello["version"]
        self.model_bytes: int = sum(hello["model_files"].values())

    def run(self, batch: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One inference on the worker's image (``batch`` is the Sapiens2 input, which MediaPipe does not take)."""
        self._request("run")
        return {}

    def peak_rss_bytes(self) -> int:
        """The worker's peak resident memory since it started."""
        return int(self._request("peak")["peak_rss_bytes"])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        self._log.close()

    def _request(self, command: str | None) -> dict[str, Any]:
        try:
            if command is not None:
                self.process.stdin.write(command + "\n")
                self.process.stdin.flush()
            line = self.process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self._log.seek(0)
            last = (self._log.read().strip().splitlines() or ["(no message)"])[-1]  # the exception, after its traceback
            raise MediaPipeUnavailable(f"the MediaPipe worker stopped: {last[-LOG_TAIL:]}")
        reply = json.loads(line)
        if "error" in reply:
            raise MediaPipeUnavailable(f"the MediaPipe worker refused {command!r}: {reply['error']}")
        return reply
