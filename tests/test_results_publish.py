"""One result's files are published together: all or none, never replaced unasked, never interleaved."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sapiens2.results import publish
from sapiens2.results.publish import ResultExistsError, publish_files


def test_files_appear_together_and_existing_ones_are_kept(tmp_path: Path) -> None:
    paths = publish_files(tmp_path / "out", {"a.json": b"{}", "a.png": b"png"})
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json", "a.png"]  # no lock or staging left
    assert paths["a.png"].read_bytes() == b"png"
    with pytest.raises(ResultExistsError, match="a.json already exists"):
        publish_files(tmp_path / "out", {"a.json": b"new", "a.png": b"new", "b.npy": b"new"})
    assert (tmp_path / "out" / "a.json").read_bytes() == b"{}" and not (tmp_path / "out" / "b.npy").exists()
    publish_files(tmp_path / "out", {"a.json": b"new"}, overwrite=True)
    assert (tmp_path / "out" / "a.json").read_bytes() == b"new"


def test_a_failure_while_moving_takes_everything_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    publish_files(out, {"a.json": b"old"})
    real_replace, moves = publish.os.replace, []

    def failing_replace(source, target) -> None:
        moves.append(Path(target).name)
        if Path(target).name == "a.npy":
            raise OSError("disk full")
        real_replace(source, target)

    monkeypatch.setattr(publish.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        publish_files(out, {"a.json": b"new", "a.png": b"new", "a.npy": b"new"}, overwrite=True)
    monkeypatch.undo()
    assert "a.png" in moves  # the failure came after other files had been moved
    assert sorted(p.name for p in out.iterdir()) == ["a.json"] and (out / "a.json").read_bytes() == b"old"


def test_a_writer_waits_while_another_holds_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done = threading.Event()
    writer = threading.Thread(target=lambda: (publish_files(out, {"b.json": b"{}"}), done.set()))
    with publish._folder_lock(out):
        writer.start()
        assert not done.wait(0.5)  # blocked: the other process's files are being moved
        assert not (out / "b.json").exists()
    writer.join(10)
    assert done.is_set() and (out / "b.json").exists()
