"""Where a benchmark ran: CPU, cores, memory and the versions of the runtimes it could use."""

from __future__ import annotations

import os
import platform
from typing import Any

import numpy as np
import torch
from sapiens2.cpu import cpu_flags, cpu_model, cpuinfo
from sapiens2.targets import compile_targets, runtime_class



def machine_facts() -> dict[str, Any]:
    """CPU model and notable ISA flags, usable cores, memory, OS, and runtime versions."""
    cpu = cpuinfo()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu_model(cpu),
        "cpu_flags": cpu_flags(cpu),
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
