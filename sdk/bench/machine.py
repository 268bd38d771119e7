"""Where a benchmark ran: CPU, cores, memory and the versions of the runtimes it could use."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sapiens2.targets import compile_targets, runtime_class

CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")


def machine_facts() -> dict[str, Any]:
    """CPU model and notable ISA flags, usable cores, memory, OS, and runtime versions."""
    cpu = _cpuinfo()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu.get("model name", platform.processor() or platform.machine()),
        "cpu_flags": [flag for flag in CPU_FLAGS if flag in cpu.get("flags", "").split()],
        "cores": cores,
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None,
        "platform": platform.platform(),
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__, **_runtime_versions()},
    }


def _runtime_versions() -> dict[str, str]:
    versions = {}
    for target in compile_targets():
        cls = runtime_class(target)
        if cls.available()[0]:
            versions[cls.name] = cls.version()
    return versions


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields
