"""ExecuTorch and Core ML runtime adapters on hand-built 1x1-conv "seg models" (seconds, no Sapiens2 export).

The Core ML adapter cannot predict off macOS: there it must say so, and ``load`` falls back to the
MIL runner, which is what compiles on Linux use to check a package.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sapiens2.bundle import (
    BundleError,
    BundleStage,
    Manifest,
    Normalization,
    OutputSpec,
    RuntimeInfo,
    read_bundle,
    validate_manifest,
)
from sapiens2.processing import MEAN_RGB, STD_RGB
from sapiens2.targets import RuntimeUnavailableError, open_bundle
from sapiens2.targets.coreml.runtime import CoreMLRuntime, MilRunnerRuntime
from test_bundle_manifest import seg_manifest

HEIGHT, WIDTH, CLASSES = 32, 24, 29
WEIGHTS = np.random.default_rng(0).normal(size=(CLASSES, 3, 1, 1)).astype(np.float32)
LINUX_ONLY = pytest.mark.skipif(sys.platform == "darwin", reason="Core ML predicts on macOS: nothing to fall back from")


class ConvSeg(torch.nn.Module):
    """logits = 1x1 conv (``WEIGHTS``) of the image; ``pixels`` models take 0..255 RGB and normalise first."""

    def __init__(self, pixels: bool) -> None:
        super().__init__()
        self.pixels = pixels
        self.conv = torch.nn.Conv2d(3, CLASSES, 1, bias=False)
        self.conv.weight.data = torch.from_numpy(WEIGHTS)
        self.register_buffer("mean", torch.tensor(MEAN_RGB).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD_RGB).reshape(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.conv((image - self.mean) / self.std if self.pixels else image)
        return logits, logits.argmax(dim=1).to(torch.uint8)


def expected(image: np.ndarray) -> np.ndarray:
    return np.einsum("oc,bchw->bohw", WEIGHTS[:, :, 0, 0], image)


def mobile_manifest(target: str, pixels: bool) -> Manifest:
    """``seg_manifest`` at 32x24 with logits + labels; ``pixels``: uint8 RGB NHWC input normalised in the graph."""
    base = seg_manifest()
    spec = base.inputs[0]
    if pixels:
        spec = dataclasses.replace(
            spec,
            shape=(1, HEIGHT, WIDTH, 3),
            dtype="uint8",
            layout="NHWC",
            normalization=Normalization(MEAN_RGB, STD_RGB, True),
        )
    else:
        spec = dataclasses.replace(spec, shape=(1, 3, HEIGHT, WIDTH))
    outputs = (
        OutputSpec("logits", (1, CLASSES, HEIGHT, WIDTH), "float32", "class logits"),
        OutputSpec("labels", (1, HEIGHT, WIDTH), "uint8", "class ids"),
    )
    export = dataclasses.replace(base.export, input_size=(HEIGHT, WIDTH))
    return dataclasses.replace(base, target=target, export=export, inputs=(spec,), outputs=outputs)


@pytest.fixture(scope="module")
def executorch_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.pte (XNNPACK) plus a stand-in model.vulkan.pte listed as unverified."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    program = torch.export.export(ConvSeg(pixels=False).eval(), (torch.zeros(1, 3, HEIGHT, WIDTH),))
    pte = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()]).to_executorch().buffer
    with BundleStage(tmp_path_factory.mktemp("et") / "bundle") as stage:
        (stage.path / "model.pte").write_bytes(pte)
        (stage.path / "model.vulkan.pte").write_bytes(b"a program for another delegate")
        manifest = dataclasses.replace(
            mobile_manifest("executorch", pixels=False),
            runtime=RuntimeInfo("executorch", "test", {}),
            artifacts=stage.describe(["model.pte", "model.vulkan.pte"]),
            unverified={"model.vulkan.pte": "not run: needs a Vulkan GPU"},
        )
        return stage.publish(manifest, {})


@pytest.fixture(scope="module")
def coreml_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Core ML package with an RGB image input, listed file by file, unverified off macOS."""
    import coremltools as ct

    program = torch.export.export(ConvSeg(pixels=True).eval(), (torch.zeros(1, 3, HEIGHT, WIDTH),)).run_decompositions(
        {}
    )
    model = ct.convert(
        program,
        inputs=[ct.ImageType(name="image", shape=(1, 3, HEIGHT, WIDTH), color_layout=ct.colorlayout.RGB)],
        outputs=[ct.TensorType(name="logits"), ct.TensorType(name="labels")],
        minimum_deployment_target=ct.target.iOS17,
        compute_precision=ct.precision.FLOAT32,
        skip_model_load=True,
    )
    with BundleStage(tmp_path_factory.mktemp("coreml") / "bundle") as stage:
        model.save(str(stage.path / "model.mlpackage"))
        files = sorted(
            str(p.relative_to(stage.path)) for p in (stage.path / "model.mlpackage").rglob("*") if p.is_file()
        )
        manifest = dataclasses.replace(
            mobile_manifest("coreml", pixels=True),
            runtime=RuntimeInfo("coreml", ct.__version__, {}),
            artifacts=stage.describe(files),
            unverified={"model.mlpackage": "not run by Core ML: needs macOS"},
        )
        return stage.publish(manifest, {})


def pixels(batch: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(batch, HEIGHT, WIDTH, 3), dtype=np.uint8)


def normalised(images: np.ndarray) -> np.ndarray:
    nchw = images.transpose(0, 3, 1, 2).astype(np.float32)
    return (nchw - np.reshape(MEAN_RGB, (1, 3, 1, 1))) / np.reshape(STD_RGB, (1, 3, 1, 1))


def test_executorch_runs_the_verified_program(executorch_bundle: Path) -> None:
    runtime = open_bundle(executorch_bundle, threads=1)
    assert runtime.name == "executorch" and runtime.settings() == {
        "threads": 1,
        "program": "model.pte",
        "delegate": "XnnpackBackend",
    }
    images = np.random.default_rng(2).normal(size=(2, 3, HEIGHT, WIDTH)).astype(np.float32)
    first = runtime.run({"image": images[:1]})
    np.testing.assert_allclose(first["logits"], expected(images[:1]), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(first["labels"], expected(images[:1]).argmax(1))
    assert first["labels"].dtype == np.uint8
    batched = runtime.run({"image": images})  # the program has a batch of 1: run item by item
    np.testing.assert_allclose(batched["logits"], expected(images), rtol=1e-4, atol=1e-4)
    # Outputs live in the program's planned memory: an earlier result must survive a later call.
    np.testing.assert_allclose(first["logits"], batched["logits"][:1], rtol=1e-6, atol=1e-6)


def test_executorch_manifest_is_checked_against_the_program(executorch_bundle: Path, tmp_path: Path) -> None:
    """The program's own port dtypes and shapes (by position) must be the manifest's."""
    from test_bundle_declared_io import edit_manifest

    bundle = tmp_path / "bundle"
    shutil.copytree(executorch_bundle, bundle)
    edit_manifest(bundle, lambda data: data["inputs"][0].update(dtype="uint8"))
    with pytest.raises(BundleError, match=r"as uint8 but the artifact \(or its input spec\) declares float32"):
        open_bundle(bundle)


def test_coreml_manifest_is_checked_against_the_model_description(coreml_bundle: Path, tmp_path: Path) -> None:
    """The package's declared image size and output shapes must be the manifest's."""
    from test_bundle_declared_io import edit_manifest

    bundle = tmp_path / "bundle"
    shutil.copytree(coreml_bundle, bundle)
    first = read_bundle(bundle).manifest.outputs[0]
    edit_manifest(bundle, lambda data: data["outputs"][0].update(shape=[*first.shape[:-1], first.shape[-1] + 1]))
    with pytest.raises(BundleError, match=rf"output '{first.name}' with shape .* declares shape"):
        open_bundle(bundle)


def test_executorch_rejects_unknown_options(executorch_bundle: Path) -> None:
    with pytest.raises(TypeError, match="unknown executorch options \\['device'\\]; it takes threads"):
        open_bundle(executorch_bundle, device="gpu")


@LINUX_ONLY
def test_coreml_says_why_it_cannot_predict_here(coreml_bundle: Path) -> None:
    ok, reason = CoreMLRuntime.available()
    assert not ok and "Core ML prediction needs macOS" in reason
    with pytest.raises(
        RuntimeUnavailableError, match=f"cannot open {coreml_bundle} with coreml: Core ML prediction needs macOS"
    ):
        open_bundle(coreml_bundle)
    with pytest.raises(RuntimeUnavailableError, match="needs macOS"):
        CoreMLRuntime.load(coreml_bundle, read_bundle(coreml_bundle).manifest, runner="coreml")


@LINUX_ONLY
def test_coreml_falls_back_to_the_mil_runner(coreml_bundle: Path) -> None:
    runtime = CoreMLRuntime.load(coreml_bundle, read_bundle(coreml_bundle).manifest)
    assert isinstance(runtime, MilRunnerRuntime) and runtime.name == "coreml-mil-runner"
    images = pixels(2)
    outputs = runtime.run({"image": images})
    np.testing.assert_allclose(outputs["logits"], expected(normalised(images)), rtol=1e-4, atol=1e-4)
    # Core ML has no uint8 arrays (labels come back int32): the adapter gives the manifest's dtype.
    assert outputs["labels"].dtype == np.uint8
    np.testing.assert_array_equal(outputs["labels"], expected(normalised(images)).argmax(1))


def test_mil_runner_reports_the_program_ops(coreml_bundle: Path) -> None:
    from sapiens2.targets.coreml.mil_runner import MilProgramRunner

    runner = MilProgramRunner(coreml_bundle / "model.mlpackage")
    ops = runner.op_counts()
    assert runner.input_names == ("image",) and runner.output_names == ("logits", "labels")
    assert ops["conv"] == 1 and ops["reduce_argmax"] == 1


def test_unverified_artifacts_round_trip_and_old_manifests_stay_valid(coreml_bundle: Path) -> None:
    manifest = read_bundle(coreml_bundle).manifest
    assert manifest.unverified == {"model.mlpackage": "not run by Core ML: needs macOS"}
    assert all(a.file.startswith("model.mlpackage/") for a in manifest.artifacts)
    assert Manifest.from_dict(json.loads(json.dumps(manifest.to_dict()))) == manifest
    plain = seg_manifest().to_dict()
    assert "unverified" not in plain  # bundles whose artifacts all ran read exactly as before
    validate_manifest(plain)


@pytest.mark.parametrize("name", ["../model.pte", "model.mlpackage/../../x", "/model.pte", "model.mlpackage//x"])
def test_artifact_paths_stay_inside_the_bundle(name: str) -> None:
    data = seg_manifest().to_dict()
    data["artifacts"][0]["file"] = name
    with pytest.raises(BundleError, match=r"artifacts\[0\]\.file"):
        validate_manifest(data)


def test_a_modified_package_file_is_caught(coreml_bundle: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(coreml_bundle, tmp_path / "bundle"))
    weights = next(p for p in (copy / "model.mlpackage").rglob("*.bin"))
    weights.write_bytes(weights.read_bytes()[:-1] + b"!")
    with pytest.raises(BundleError, match="checksum mismatch for .*weight.bin"):
        read_bundle(copy)
