"""Real ``sapiens2 serve`` processes for tests: loopback only, bounded waits, stopped by their PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from fixture_paths import case_checkpoint

SERVER_THREADS = 1  # the reference runs at the same torch thread count: the sums' order matters
POSE_SIZE = (256, 192)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fixture_models() -> list[str]:
    return ["-c", f"pose={case_checkpoint('task_pose')}", "-c", f"seg={case_checkpoint('task_seg')}"]


class ServerProcess:
    """``sapiens2 serve ARGS`` on a free loopback port; ``url``, ``stop()`` (SIGTERM) and ``log()``."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, prefix: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.NamedTemporaryFile(prefix="sapiens2-serve-", suffix=".log", delete=False)
        command = [sys.executable, "-m", "sapiens2.cli.main", "serve", "--port", str(self.port), *args]
        environment = os.environ | {"OMP_NUM_THREADS": str(SERVER_THREADS)} | (env or {})
        self.process = subprocess.Popen(
            [*(prefix or []), *command], stdout=self._log, stderr=subprocess.STDOUT, env=environment, start_new_session=True
        )

    def wait_ready(self, timeout_s: float = 120.0) -> ServerProcess:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout_s} s:\n{self.log()}")

    def stop(self, timeout_s: float = 60.0) -> bool:
        """SIGTERM to the server's PID, then wait (SIGKILL if it does not stop in time); True when it
        stopped cleanly: exit 0, or uvicorn's re-raised SIGTERM after its graceful shutdown, no traceback."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode in (0, -signal.SIGTERM) and "Traceback" not in self.log()

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")[-4000:]
