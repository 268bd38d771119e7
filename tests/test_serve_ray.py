"""``sapiens2 serve --ray`` end to end: two replicas in a loopback-only network namespace, one killed
under load; requests succeed or fail cleanly and the replica comes back (see ray_scenario.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
CLEAN_FAILURES = {"500", "502", "503", "504"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2 (ip netns)"),
]


def in_namespace(name: str, *command: str, timeout_s: float) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", name, *command], capture_output=True, text=True, timeout=timeout_s)


def test_two_ray_replicas_survive_losing_one_under_load() -> None:
    pytest.importorskip("ray.serve")
    namespace = f"s2test{os.getpid()}"
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    try:
        in_namespace(namespace, "ip", "link", "set", "lo", "up", timeout_s=30)
        run = in_namespace(namespace, sys.executable, str(TESTS / "ray_scenario.py"), timeout_s=900)
        assert run.returncode == 0, run.stderr[-4000:]
        report = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"\nRay scenario: {report}")
    finally:
        leftovers = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True).stdout.split()
        for pid in leftovers:  # processes this test started (Ray's own) that outlived the driver
            subprocess.run(["kill", "-KILL", pid], check=False)
        subprocess.run(["ip", "netns", "del", namespace], check=False)
    assert report["replicas_before"] == 2 and report["parity_max_px"] <= 1e-4
    outcomes = report["outcomes"]
    assert outcomes.get("ok", 0) > 0 and "WRONG" not in outcomes
    assert set(outcomes) <= {"ok"} | CLEAN_FAILURES | {name for name in outcomes if name.startswith("transport:")}
    assert report["replicas_after"] == 2 and report["victim_back"]
    assert report["after_recovery"] == [200] * 8
    assert report["stopped_cleanly"]
