"""Give the memory-mapped pages of ``model.bin`` back to the OS while OpenVINO's CPU plugin compiles.

``read_model`` memory-maps ``model.bin``; ``compile_model`` reads every weight once to repack it into
the plugin's own layout on the heap, and the file pages it touched stay resident beside the packed
copy: two copies of the weights (the 1B pose: 2.19x its weights at the end of ``compile_model``).
The mapping is read-only, so ``madvise(MADV_DONTNEED)`` may drop those pages at any time: a later
read faults them back in from the file. A thread drops them every ``interval`` seconds while the
plugin compiles, so the process holds about one copy (the 0.4B: 2.10x -> 1.21x, same outputs).
Linux only; elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MADV_DONTNEED = 4
MAPS = Path("/proc/self/maps")


@contextmanager
def pages_released(weights: Path, interval: float = 0.1) -> Iterator[None]:
    """While the block runs, keep dropping this process's resident pages of the mapped file ``weights``."""
    if not MAPS.exists():
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    target = os.path.realpath(weights)
    done = threading.Event()

    def release() -> None:
        while True:
            for start, end in _mapped_ranges(target):
                libc.madvise(start, end - start, MADV_DONTNEED)
            if done.wait(interval):
                return

    thread = threading.Thread(target=release, name="release-model-bin-pages", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _mapped_ranges(path: str) -> list[tuple[int, int]]:
    """Address ranges of this process's mappings of ``path`` (``/proc/self/maps``: ``start-end perms ... path``)."""
    ranges = []
    with MAPS.open() as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and fields[5].rstrip("\n") == path and "w" not in fields[1]:
                start, end = fields[0].split("-")
                ranges.append((int(start, 16), int(end, 16)))
    return ranges
