"""Which CPU this is and which of the instruction sets that decide the fast kernels it has.

Machines differ from run to run (AVX2-only, AVX-512 with VNNI and BF16, AMX): the bench records
these facts, ``--precision auto`` picks its candidates from them, and the tests say which path they
checked. Read from /proc/cpuinfo; elsewhere the model name falls back to the platform's and the
flags are empty.
"""

from __future__ import annotations

import platform
from pathlib import Path

# The instruction sets that decide which kernels (fp32, bf16, int8) a CPU runtime can use.
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
BF16_ISA = ("avx512_bf16", "amx_bf16")  # fast bf16 dot products
INT8_ISA = ("avx512_vnni", "avx_vnni", "amx_int8")  # fast int8 dot products


def cpu_model(cpu: dict[str, str] | None = None) -> str:
    """The CPU's model name (the platform's processor or machine name where /proc/cpuinfo is missing)."""
    return (cpu if cpu is not None else cpuinfo()).get("model name", platform.processor() or platform.machine())


def cpu_flags(cpu: dict[str, str] | None = None) -> list[str]:
    """The notable ISA flags (``CPU_FLAGS``) this CPU reports, in that order (empty off Linux)."""
    present = set((cpu if cpu is not None else cpuinfo()).get("flags", "").split())
    return [flag for flag in CPU_FLAGS if flag in present]


def has_fast_bf16(cpu: dict[str, str] | None = None) -> bool:
    """Whether this CPU has native bf16 dot products (``BF16_ISA``)."""
    return any(flag in cpu_flags(cpu) for flag in BF16_ISA)


def cpuinfo() -> dict[str, str]:
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
