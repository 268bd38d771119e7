"""Compile errors, kept importable here; they live in the SDK's one hierarchy, ``sapiens2.errors``."""

from sapiens2.errors import CompileError, FidelityGateError

__all__ = ["CompileError", "FidelityGateError"]
