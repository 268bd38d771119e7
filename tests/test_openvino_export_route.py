"""Which route the OpenVINO export takes: the PyTorch frontend, or the ONNX file when a trace would hold too much.

The trace keeps every block's attention probabilities; the rule compares them with the weights on the
zoo's real shapes (meta tensors: nothing is allocated).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from sapiens2.compile import CompileOptions
from sapiens2.models import build_task_model
from sapiens2.targets.openvino.exporter import trace_outweighs_weights


@pytest.mark.parametrize(
    ("arch", "size", "via_onnx"),
    [
        # 12 blocks x 12 heads x 768^2 tokens^2 x 4 B = 0.34 GB of probabilities, 0.46 GB of weights: trace.
        ("sapiens2_0.1b", (512, 384), False),
        ("sapiens2_0.1b", (1024, 768), True),  # 5.4 GB (measured: 5.0 GB peak through the trace)
        ("sapiens2_0.4b", (512, 384), False),
        ("sapiens2_1b", (1024, 768), True),
    ],
)
def test_large_traces_go_through_onnx(arch: str, size: tuple[int, int], via_onnx: bool) -> None:
    with torch.device("meta"):
        model = build_task_model("pose", arch)
    assert trace_outweighs_weights(SimpleNamespace(model=model), CompileOptions(target="openvino", input_size=size)) is via_onnx
