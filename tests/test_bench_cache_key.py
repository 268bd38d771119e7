"""The bench never reuses a cached bundle made by other exporter toolchains or other export code."""

from __future__ import annotations

from pathlib import Path

import pytest
from sapiens2.bench import BundleCache, Weights
from sapiens2.bench import cache as cache_module
from sapiens2.compile import CompileOptions
from sapiens2.targets.onnx.target import OnnxTarget

TINY_ARCH = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}
OPTIONS = CompileOptions(target="onnx", input_size=(64, 48), threads=1)
WEIGHTS = Weights("seg", arch=TINY_ARCH, seed=1)


def test_the_key_follows_the_toolchain_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = BundleCache(tmp_path)
    before = cache.key(WEIGHTS, OPTIONS)
    installed = OnnxTarget().toolchain_versions()
    assert set(installed) >= {"torch", "onnx", "onnxscript", "onnxruntime"} and installed["onnxruntime"] == "1.31.1"
    monkeypatch.setattr(OnnxTarget, "toolchain_versions", lambda self: {**installed, "onnxruntime": "1.32.0"})
    assert cache.key(WEIGHTS, OPTIONS) != before


def test_the_key_follows_the_export_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {path.relative_to(path.parents[1]).as_posix() for path in cache_module.export_code_files("onnx")}
    assert {"onnx/exporter.py", "onnx/quantizer.py", "compile/pipeline.py", "models/backbone.py"} <= files
    assert not any(name.startswith("openvino/") for name in files)
    code = tmp_path / "exporter.py"
    monkeypatch.setattr(cache_module, "export_code_files", lambda target: [code])
    cache = BundleCache(tmp_path)
    code.write_text("OPSET = 20\n")
    first = cache.key(WEIGHTS, OPTIONS)
    assert cache.key(WEIGHTS, OPTIONS) == first
    code.write_text("OPSET = 21\n")
    assert cache.key(WEIGHTS, OPTIONS) != first
