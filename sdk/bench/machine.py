"""Where a benchmark ran: CPU, cores, memory and the versions of the runtimes it could use."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sapiens2.targets import compile_targets, runtime_class

# The instruction sets that decide which kernels (fp32, bf16, int8) a CPU runtime can use.
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")


def machine_facts() -> dict[str, Any]:
    """CPU model and notable ISA flags, usable cores, memory, OS, and runtime versions."""
    cpu = _cpuinfo()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu_model(cpu),
        "cpu_flags": cpu_flags(cpu),
        "cores": cores,
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None,
        "platform": platform.platform(),
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__, **_runtime_versions()},
    }


def cpu_model(cpu: dict[str, str] | None = None) -> str:
    """The CPU's model name (the platform's processor or machine name where /proc/cpuinfo is missing)."""
    return (cpu if cpu is not None else _cpuinfo()).get("model name", platform.processor() or platform.machine())


def cpu_flags(cpu: dict[str, str] | None = None) -> list[str]:
    """The notable ISA flags (``CPU_FLAGS``) this CPU reports, in that order (empty off Linux)."""
    present = set((cpu if cpu is not None else _cpuinfo()).get("flags", "").split())
    return [flag for flag in CPU_FLAGS if flag in present]


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
