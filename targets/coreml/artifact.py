"""What a Core ML bundle's artifact is: an ML program package for iOS 17 / macOS 14, computing in fp16 or fp32."""

from __future__ import annotations

PACKAGE = "model.mlpackage"
DEPLOYMENT_TARGET = "iOS17"  # also macOS 14; ML program opset CoreML7


def compute_precision(precision: str) -> str:
    """fp32 on request; else fp16, what the Neural Engine and GPU compute in (weight-compressed programs included)."""
    return "fp32" if precision == "fp32" else "fp16"
