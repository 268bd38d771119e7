"""The OpenVINO runtime's page release: mapped weight pages leave the resident set and read back unchanged."""

from __future__ import annotations

import mmap
import sys
import time

import numpy as np
import pytest

from sapiens2.targets.openvino.page_release import pages_released

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/maps and madvise are Linux's")

SIZE = 64 << 20


def _rss_file_mb() -> float:
    status = open("/proc/self/status").read()
    return int(status.split("RssFile:")[1].split()[0]) / 1024


def test_touched_pages_of_the_mapped_file_are_dropped_and_read_back_the_same(tmp_path) -> None:
    path = tmp_path / "model.bin"
    data = np.random.default_rng(0).integers(0, 255, SIZE, dtype=np.uint8)
    data.tofile(path)
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        view = np.frombuffer(mapped, dtype=np.uint8)
        checksum = int(view.sum(dtype=np.int64))  # touches every page
        touched = _rss_file_mb()
        with pages_released(path, interval=0.02):
            time.sleep(0.3)
            released = _rss_file_mb()
        assert touched - released > 0.9 * SIZE / 2**20, (touched, released)
        assert int(view.sum(dtype=np.int64)) == checksum and np.array_equal(view[:4096], data[:4096])
        del view


def test_other_files_and_writable_mappings_are_left_alone(tmp_path) -> None:
    other = tmp_path / "other.bin"
    np.ones(SIZE, dtype=np.uint8).tofile(other)
    with other.open("r+b") as file, mmap.mmap(file.fileno(), 0) as mapped:
        view = np.frombuffer(mapped, dtype=np.uint8)
        view.sum()
        before = _rss_file_mb()
        with pages_released(other, interval=0.02), pages_released(tmp_path / "model.bin", interval=0.02):
            time.sleep(0.2)
            after = _rss_file_mb()
        assert before - after < 0.1 * SIZE / 2**20, (before, after)
        del view
