"""How a compile asks glibc to hand freed memory back to the OS (no-ops where the C library is not glibc).

glibc serves a block above its mmap threshold with a mapping of its own, unmapped on free; smaller
blocks come from heaps that keep freed memory for reuse. The threshold starts at 128 KiB and rises to
the size of each mapped block freed (up to 32 MiB), so once the first large tensors are freed, a
forward pass's 10-30 MB activations are served from the heaps. Measured: the 1B pose's PyTorch
references at 1024x768 left 3.08 GB resident after its weights were freed and ``malloc_trim`` ran,
beside which ONNX Runtime then verified; with the threshold pinned at 1 MiB, 1.05 GB (mostly the
references' outputs).
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
MMAP_THRESHOLD_BYTES = 1 << 20


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def map_large_blocks() -> None:
    """Pin the mmap threshold at 1 MiB for the rest of the process, so every large block is unmapped on free.

    Process-wide and permanent (glibc stops adjusting the threshold once it is set): the compile
    command calls it, not the library, so a long-lived process that also benchmarks keeps glibc's
    default (each mapped block is a fresh page-faulted allocation).
    """
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def trim_heap() -> None:
    """Return the heaps' free pages (``malloc_trim``)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
