"""PyTorch with torchao: ``sapiens2.load(checkpoint, precision="int8")`` on the official pose fixture.

The fixture's weights are random, so fidelity is checked against what int8 does to a network
(close to fp32, not equal), not against task quality.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fixture_paths import OFFICIAL, IMAGES, case_checkpoint, case_json
from safetensors.torch import load_file
from sapiens2.checkpoints import load_model
from sapiens2.errors import UserError
from sapiens2.targets.torch.quantizer import stored_bytes
from sapiens2.targets.torch.model_runner import TorchModelRunner
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture
from torch import nn
from torch.utils._python_dispatch import is_traceable_wrapper_subclass

import sapiens2

POSE = case_json("task_pose")
MESSI = IMAGES / "messi5.jpg"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def official() -> tuple[np.ndarray, np.ndarray]:
    image = load_file(OFFICIAL / "task_pose" / "input.safetensors")["image"].numpy()
    return image, load_file(OFFICIAL / "task_pose" / "expected.safetensors")["out0"].numpy()


# Lower bounds from docs/toolchain.md (torchao on 0.1b: whole-tensor 1 - cos 1.6e-4 weight-only, 5.6e-4 with
# int8 activations), loosened for heatmaps of random weights; below 1 because the weights did change.
@pytest.mark.parametrize(("precision", "min_cosine"), [("int8", 0.99), ("int8-weights", 0.995)])
def test_linears_become_int8_and_stay_close_to_the_official_output(
    official: tuple[np.ndarray, np.ndarray], precision: str, min_cosine: float
) -> None:
    model = load_model(case_checkpoint("task_pose"), expect="task")
    fp32_bytes = stored_bytes(model)
    linear_bytes = sum(m.weight.numel() * 4 for m in model.modules() if isinstance(m, nn.Linear))
    runner = TorchModelRunner(model, "cpu", precision)
    assert (runner.precision, runner.dtype, runner.device.type) == (precision, torch.float32, "cpu")
    assert runner.quantization == {"int8": "torchao Int8DynamicActivationInt8Weight", "int8-weights": "torchao Int8WeightOnly"}[precision]
    for name, module in runner.model.named_modules():
        if isinstance(module, nn.Linear):
            assert is_traceable_wrapper_subclass(module.weight) and module.weight.qdata.dtype == torch.int8, name
        elif isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
            assert type(module.weight) is nn.Parameter and module.weight.dtype == torch.float32, name
    # Linear weights drop to a quarter, plus one fp32 scale and one int8 zero point per output row.
    saved = fp32_bytes - stored_bytes(runner.model)
    assert 0.7 * linear_bytes < saved < 0.75 * linear_bytes
    image, expected = official
    heatmaps = runner({"image": image})["heatmaps"]
    assert heatmaps.shape == expected.shape and heatmaps.dtype == np.float32
    assert min_cosine < cosine(heatmaps, expected) < 0.99999


def test_load_quantizes_and_records_the_scheme() -> None:
    predictor = sapiens2.load(case_checkpoint("task_pose"), device="cpu", precision="int8", input_size=tuple(POSE["img_size"]))
    result = predictor.predict(str(MESSI), boxes=np.array([[180.0, 20.0, 330.0, 330.0]], np.float32))
    assert result.keypoints.shape == (1, 308, 2)
    meta = result.to_dict()["meta"]
    assert (meta["runtime"], meta["precision"], meta["quantization"]) == ("torch", "int8", "torchao Int8DynamicActivationInt8Weight")
    assert "quantization" not in sapiens2.load(case_checkpoint("task_pose"), device="cpu", input_size=(128, 96)).meta


def test_unsupported_combinations_are_refused_before_loading() -> None:
    model = load_model(case_checkpoint("task_pose"), expect="task")
    with pytest.raises(UserError, match="int4-weights has no packed int4 CPU kernel.*sapiens2 compile"):
        TorchModelRunner(model, "cpu", "int4-weights")
    with pytest.raises(UserError, match="runs torchao's CPU kernels: use device='cpu'"):
        TorchModelRunner(model, "meta", "int8")  # any non-CPU device (CUDA on a GPU machine)
    with pytest.raises(UserError, match="precision must be one of fp32, bf16, fp16, int8, int8-weights, got 'int3'"):
        TorchModelRunner(model, "cpu", "int3")
    assert type(model.backbone.blocks[0].ffn.w12.weight) is nn.Parameter  # refused before anything was quantized
