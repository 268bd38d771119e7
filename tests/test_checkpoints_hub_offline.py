"""``hf://`` sources: an offline machine gets the offline hint at once, and paths cannot leave the repo."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sapiens2.checkpoints import hub
from sapiens2.errors import CheckpointError
from sapiens2.checkpoints.hub import HubFile


def test_no_network_fails_fast_with_the_offline_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub.constants, "ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(hub.constants, "HF_HUB_CACHE", str(tmp_path))
    assert not hub.hub_reachable()
    started = time.monotonic()
    with pytest.raises(CheckpointError, match="not in the local Hugging Face cache"):
        HubFile.parse("hf://facebook/sapiens2/model.safetensors").download()
    assert time.monotonic() - started < hub.PROBE_TIMEOUT_S + 2


@pytest.mark.parametrize("source", ["hf://org/repo/../x", "hf://org/../../x.safetensors", "hf://org/repo/a/./b", "hf://org/repo/a\\..\\b"])
def test_paths_leaving_the_repo_are_refused(source: str) -> None:
    with pytest.raises(CheckpointError, match="not a file inside one Hugging Face repo"):
        HubFile.parse(source)
