"""Resident memory of this process, and its peak, from Linux's /proc (with a portable fallback).

Writing "5" to /proc/self/clear_refs resets the kernel's peak-RSS mark (VmHWM, Linux >= 4.0), so
the peak can be measured per runtime call when runtimes run alternately in one process.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset the peak-RSS mark to the current RSS; False where the OS does not allow it."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """Peak resident memory since start or since the last successful ``reset_peak_rss``."""
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux KiB


def rss_bytes() -> int | None:
    """Current resident memory, where /proc tells it."""
    kib = _status_kib("VmRSS")
    return None if kib is None else kib * 1024
