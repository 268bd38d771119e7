"""A new target is a folder and a registry line; a request outside a target's capability table is refused.

The fake target here (``pt2``: a ``torch.export`` program run by PyTorch) is the whole of what a
target needs: a capability table, ``export`` and a ``Runtime``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fixture_paths import OFFICIAL, case_checkpoint, case_json
from safetensors.torch import load_file
from sapiens2.bundle import Manifest, read_bundle
from sapiens2.compile import CompileOptions, check_capabilities, compile_bundle, from_checkpoint
from sapiens2.compile.options import PRECISIONS, target_specific_options
from sapiens2.errors import CompileError
from sapiens2.targets import TARGETS, Capabilities, ExportedArtifact, Runtime, Target, compile_targets, get_target, open_bundle
from sapiens2.threads import torch_threads

SIZE = tuple(case_json("task_seg")["img_size"])


class TorchExportRuntime(Runtime):
    name = "torch-export"

    def __init__(self, program: Path, manifest: Manifest) -> None:
        super().__init__(manifest)
        self.module = torch.export.load(program).module()

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return True, ""

    @classmethod
    def version(cls) -> str:
        return torch.__version__

    @classmethod
    def load(cls, directory: Path, manifest: Manifest, threads: int | None = None, **options: Any) -> Runtime:
        return cls(directory / "model.pt2", manifest)

    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        with torch.no_grad(), torch_threads(1):
            return [out.numpy() for out in self.module(torch.from_numpy(batch[self.input_names[0]]))]


class TorchExportTarget(Target):
    name = "pt2"
    runtime = f"{__name__}:TorchExportRuntime"
    capabilities = Capabilities(precisions=("fp32",), dynamic_batch=False)

    def export(self, wrapper: Any, directory: Path, options: CompileOptions, transform: Any = None) -> ExportedArtifact:
        torch.export.save(torch.export.export(wrapper, (wrapper.example_input(),)), directory / "model.pt2")
        return ExportedArtifact(["model.pt2"])


@pytest.fixture
def pt2(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(TARGETS, TorchExportTarget.name, TorchExportTarget)
    return TorchExportTarget.name


def test_a_registered_target_compiles_verifies_and_opens_a_bundle(pt2: str, tmp_path: Path) -> None:
    with torch_threads(1):
        result = compile_bundle(from_checkpoint(case_checkpoint("task_seg")), CompileOptions(target=pt2, input_size=SIZE, threads=1), tmp_path / "b")
    assert result.manifest.target == pt2 and result.manifest.runtime.name == "torch-export"
    assert result.report["gate"]["passed"] and result.report["summary"]["vs_reference"]["cosine"] > 0.99999
    image = load_file(OFFICIAL / "task_seg" / "input.safetensors")["image"].numpy()
    logits = open_bundle(read_bundle(result.path).path).run({"image": image})["logits"]
    expected = load_file(OFFICIAL / "task_seg" / "expected.safetensors")["out0"].numpy()
    cosine = float(np.dot(logits.ravel(), expected.ravel()) / np.linalg.norm(logits) / np.linalg.norm(expected))
    assert cosine > 0.9999  # the official outputs, through the fake target's artifact
    # The PyTorch reference of the same bundle runs with its own thread count, and leaves the process's alone.
    before = torch.get_num_threads()
    reference = open_bundle(result.path, target="torch", threads=before + 1)
    reference_logits = reference.run({"image": image})["logits"]
    assert torch.get_num_threads() == before and reference.settings() == {"threads": before + 1}
    np.testing.assert_allclose(reference_logits, logits, rtol=0, atol=1e-4 * np.abs(logits).max())


def test_a_precision_outside_the_table_is_refused_before_loading(pt2: str, tmp_path: Path) -> None:
    def never_load(options: CompileOptions) -> Any:
        raise AssertionError("the model was loaded")

    with pytest.raises(CompileError, match="--target pt2 offers --precision fp32, not fp16"):
        compile_bundle(never_load, CompileOptions(target=pt2, precision="fp16"), tmp_path / "b")
    with pytest.raises(CompileError, match="--target pt2 has a fixed batch"):
        compile_bundle(never_load, CompileOptions(target=pt2, dynamic_batch=True), tmp_path / "b")
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("target", ["onnx", "openvino", "executorch", "coreml"])
def test_every_target_refuses_the_options_and_precisions_it_does_not_declare(target: str) -> None:
    capabilities = get_target(target).capabilities
    set_values = {"optimize_graph": True, "stream_weights": True, "allow_portable": True, "also_partitioners": ("vulkan",)}
    assert set(set_values) == set(target_specific_options())
    for name, value in set_values.items():
        options = CompileOptions(target=target, input_size=SIZE, **{name: value})
        if name in capabilities.options:
            check_capabilities(options, target, capabilities)
        else:
            flag = "--" + name.replace("_", "-")
            with pytest.raises(CompileError, match=f"--target {target} does not accept {flag}"):
                check_capabilities(options, target, capabilities)
    for precision in set(PRECISIONS) - set(capabilities.precisions):
        with pytest.raises(CompileError):
            check_capabilities(CompileOptions(target=target, precision=precision), target, capabilities)


def test_the_registry_knows_the_five_targets_and_refuses_others() -> None:
    assert compile_targets() == ("onnx", "openvino", "executorch", "coreml")
    assert get_target("torch").runtime_class().name == "torch-eager" and not get_target("torch").capabilities.compiles
    with pytest.raises(CompileError, match="unknown target 'tflite'; choose one of onnx, openvino, executorch, coreml"):
        CompileOptions(target="tflite")


def test_targets_name_their_reasons() -> None:
    with pytest.raises(CompileError, match="ONNX Runtime CPU has no bf16 kernels"):
        check_capabilities(CompileOptions(target="onnx", precision="bf16"), "onnx", get_target("onnx").capabilities)
    with pytest.raises(CompileError, match="Core ML bundles take a camera image"):
        coreml = CompileOptions(target="coreml", in_graph_preprocess="NCHW")
        check_capabilities(coreml, "coreml", get_target("coreml").capabilities)
