"""The repository's copies of the official fixtures and the sample data equal the workspace's master copy.

A plain clone has no ../shared and runs on the copies alone; where ../shared exists, a change there (new
reference outputs, a new image) fails this test instead of silently diverging from what the suite checks.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fixture_paths import TESTS, WORKSPACE_SHARED

COPIES = {"fixtures/official": TESTS / "fixtures" / "official", "data": TESTS / "data"}


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_copies_hold_the_fixtures_and_the_data_the_suite_reads() -> None:
    official = digests(COPIES["fixtures/official"])
    assert {"README.md", "checkpoint_shapes.json", "task_pose/model.safetensors", "processing/cases.json"} <= set(official)
    assert {"images/vtest.avi", "images/astronaut.png", "keypoints308.json", "seg29.json"} <= set(digests(COPIES["data"]))


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copy_equals_the_workspace_master(name: str) -> None:
    master = WORKSPACE_SHARED / name
    if not master.is_dir():
        pytest.skip(f"no workspace copy at {master} (a plain clone): nothing to compare")
    ours, theirs = digests(COPIES[name]), digests(master)
    changed = sorted(key for key in ours.keys() & theirs.keys() if ours[key] != theirs[key])
    assert (sorted(theirs.keys() - ours.keys()), sorted(ours.keys() - theirs.keys()), changed) == ([], [], []), (
        f"tests/{name} differs from {master} (new, removed, changed): copy it again with "
        f"`rm -r tests/{name} && cp -r {master} tests/{name}`"
    )
