"""The Ray Serve scenario, run inside a loopback-only network namespace by test_serve_ray.py.

Two replicas serve the pose fixture; four clients post for ``LOAD_S`` seconds while one replica is
killed (SIGKILL); the script prints one JSON line of what happened: the status of every request,
whether each 200 was correct, the parity with a local run, and when the replica count was back to two.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import torch

import sapiens2

from fixture_paths import IMAGES, case_checkpoint
from serve_helpers import ServerProcess

MESSI = IMAGES / "messi5.jpg"
BOX = [[180.0, 20.0, 330.0, 330.0]]
LOAD_S = 20.0
REPLICA = "ray::ServeReplica:sapiens2"


def replica_pids() -> list[int]:
    listing = subprocess.run(["ps", "-eo", "pid,stat,args"], capture_output=True, text=True).stdout.splitlines()
    return [int(line.split()[0]) for line in listing if REPLICA in line and not line.split()[1].startswith("Z")]


def main() -> dict:
    server = ServerProcess(
        "--ray", "--replicas", "2", "-c", f"pose={case_checkpoint('task_pose')}", "--input-size", "128x96",
        env={"RAY_USAGE_STATS_ENABLED": "0"},
    ).wait_ready(timeout_s=400)
    report: dict = {}
    try:
        torch.set_num_threads(1)  # Ray runs a 1-CPU replica with one thread
        local = sapiens2.load(case_checkpoint("task_pose"), input_size=(128, 96)).predict(str(MESSI), boxes=np.array(BOX))
        remote = sapiens2.load(f"{server.url}/v1/models/pose").predict(str(MESSI), boxes=BOX)
        report["parity_max_px"] = float(np.abs(remote.keypoints - local.keypoints).max())
        expected = httpx.post(
            f"{server.url}/v1/models/pose:predict", content=MESSI.read_bytes(), params={"options": json.dumps({"boxes": BOX})}
        ).json()["instances"]
        report["replicas_before"] = len(replica_pids())
        outcomes: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + LOAD_S

        def client() -> None:
            with httpx.Client(timeout=60) as http:
                while time.monotonic() < stop_at:
                    try:
                        response = http.post(
                            f"{server.url}/v1/models/pose:predict",
                            content=MESSI.read_bytes(),
                            params={"options": json.dumps({"boxes": BOX})},
                        )
                        if response.status_code == 200:
                            outcome = "ok" if response.json()["instances"] == expected else "WRONG"
                        else:
                            outcome = f"{response.status_code}" if response.content else f"{response.status_code}-empty"
                    except httpx.TransportError as error:
                        outcome = f"transport:{type(error).__name__}"
                    with lock:
                        outcomes.append(outcome)

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(client) for _ in range(4)]
            time.sleep(LOAD_S / 4)
            victim = replica_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            for future in futures:
                future.result()
        report["outcomes"] = {name: outcomes.count(name) for name in sorted(set(outcomes))}
        deadline = time.monotonic() + 180
        while len(replica_pids()) < 2 and time.monotonic() < deadline:
            time.sleep(1)
        report["replicas_after"] = len(replica_pids())
        report["victim_back"] = victim not in replica_pids()
        report["recovery_s"] = round(time.monotonic() - killed_at, 1)
        time.sleep(5)  # the proxy learns of the new replica
        after = [
            httpx.post(f"{server.url}/v1/models/pose:predict", content=MESSI.read_bytes(), timeout=60).status_code
            for _ in range(8)
        ]
        report["after_recovery"] = after
    finally:
        report["stopped_cleanly"] = server.stop(timeout_s=120)
    return report


if __name__ == "__main__":
    print(json.dumps(main()), file=sys.stdout, flush=True)
