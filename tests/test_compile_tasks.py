"""Every task compiles to ONNX from a checkpoint, with one option each (fast: 2-layer encoders).

The checkpoints are the official fixtures' heads and input sizes on a 2-layer encoder with random
weights, saved to disk and compiled through the normal checkpoint path. Exporting the fixtures'
18-layer encoders takes ~20 s each here, so the full fixtures of every task run in
``test_compile_official.py`` (marked slow); the default set compiles the seg fixture in full
(``test_compile_targets.py``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
import torch
from fixture_paths import IMAGES, case_json
from safetensors.torch import save_file
from sapiens2.bundle import BundleError, read_bundle, sha256_file
from sapiens2.compile import (
    CompileError,
    CompileOptions,
    compile_bundle,
    from_checkpoint,
)
from sapiens2.targets.onnx import exporter as onnx_exporter
from sapiens2.compile.samples import fit_to_input
from sapiens2.samples import artifact_input, data_dir
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.models import build_task_model
from sapiens2.checkpoints import load_model
from sapiens2.processing import heatmap_maxima, keypoint_metadata, normalize, read_image, stretch_resize
from sapiens2.targets import open_bundle
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture

TWO_LAYERS = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}
OPTIONS = {
    "pose": {"in_graph_preprocess": "NHWC", "decode": "beside", "deconv": "native"},
    "seg": {"decode": "only", "optimize_graph": True},
    "normal": {"dynamic_batch": True},
    "albedo": {"in_graph_preprocess": "NCHW"},
    "pointmap": {},
}


def fixture_head_model(task: str, seed: int = 0) -> torch.nn.Module:
    case = case_json(f"task_{task}")
    torch.manual_seed(seed)
    return build_task_model(task, TWO_LAYERS, head=case["head_config"], img_size=tuple(case["img_size"])).eval()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """task -> (checkpoint, bundle)."""
    root = tmp_path_factory.mktemp("tasks")
    result = {}
    for task, extra in OPTIONS.items():
        checkpoint = root / f"{task}.safetensors"
        save_file(fixture_head_model(task).state_dict(), checkpoint)
        options = CompileOptions(target="onnx", input_size=tuple(case_json(f"task_{task}")["img_size"]), threads=1, **extra)
        result[task] = checkpoint, compile_bundle(from_checkpoint(checkpoint), options, root / task).path
    return result


def eager(task: str, image: np.ndarray, **wrapper_options: object) -> tuple[np.ndarray, ...]:
    """The saved model run by PyTorch (the same seed rebuilds the same weights)."""
    model = fixture_head_model(task)
    with torch.no_grad():
        outputs = ExportWrapper(model, tuple(case_json(f"task_{task}")["img_size"]), **wrapper_options)(torch.from_numpy(image))
    return tuple(output.numpy() for output in outputs)


@pytest.mark.parametrize("task", list(OPTIONS))
def test_every_task_compiles_with_its_outputs(compiled: dict[str, tuple[Path, Path]], task: str) -> None:
    checkpoint, path = compiled[task]
    bundle = read_bundle(path)
    manifest, report = bundle.manifest, bundle.report()
    assert manifest.task == task and manifest.target == "onnx" and manifest.export.opset == 20
    assert manifest.source.sha256 == sha256_file(checkpoint) and not manifest.random_weights
    assert report["gate"]["passed"] and report["real_images"] == ["astronaut.png", "basketball1.png"]  # the packaged photos
    assert len(report["samples"]) == 4
    raw = {name: tuple(shape) for name, shape in case_json(f"task_{task}")["outputs"].items()}
    for index, spec in enumerate(manifest.outputs):
        if f"out{index}" in raw and spec.name not in ("labels", "keypoints"):
            assert spec.shape[1:] == raw[f"out{index}"][1:], spec.name  # the official output shapes


@pytest.mark.parametrize("task,form,op_types", [("seg", "phase", {"DepthToSpace"}), ("pose", "native", {"ConvTranspose"})])
def test_transposed_convs_are_exported_in_the_recorded_form(compiled: dict[str, tuple[Path, Path]], task: str, form: str, op_types: set[str]) -> None:
    path = compiled[task][1]
    assert read_bundle(path).manifest.export.deconv == form
    graph_ops = {node.op_type for node in onnx.load(path / "model.onnx", load_external_data=False).graph.node}
    assert graph_ops & {"ConvTranspose", "DepthToSpace"} == op_types


def test_seg_labels_only(compiled: dict[str, tuple[Path, Path]]) -> None:
    path = compiled["seg"][1]
    manifest = read_bundle(path).manifest
    assert manifest.output_names == ("labels",) and manifest.outputs[0].dtype == "uint8"
    assert manifest.export.graph_optimizer and manifest.labels["names"][:2] == ["Background", "Apparel"]
    image = fit_to_input("seg", read_image(data_dir() / "images" / "basketball1.png"), manifest.export.input_size)
    batch = artifact_input(image[None], None)
    labels = open_bundle(path, threads=1).run({"image": batch})["labels"]
    (logits,) = eager("seg", batch)
    assert np.mean(labels == logits.argmax(1)) > 0.999


def test_pose_takes_pixels_and_decodes_peaks_like_the_processing(compiled: dict[str, tuple[Path, Path]]) -> None:
    path = compiled["pose"][1]
    manifest = read_bundle(path).manifest
    assert manifest.inputs[0].dtype == "uint8" and manifest.inputs[0].layout == "NHWC" and manifest.inputs[0].normalization.in_graph
    assert manifest.output_names == ("heatmaps", "keypoints", "scores")
    assert manifest.labels["flip_indices"] == list(keypoint_metadata().flip_indices) and len(manifest.labels["names"]) == 308
    size = manifest.export.input_size
    assert manifest.decoding["sigma"] == 6 and manifest.decoding["blur_kernel_size"] == 11
    assert manifest.decoding["heatmap_size"] == [size[0] // 4, size[1] // 4] == list(manifest.outputs[0].shape[2:])
    crop = fit_to_input("pose", read_image(IMAGES / "messi5.jpg"), size)
    outputs = open_bundle(path, threads=1).run({"image": artifact_input(crop[None], "NHWC")})
    peaks, scores = heatmap_maxima(outputs["heatmaps"][0])
    np.testing.assert_array_equal(outputs["keypoints"][0], peaks)
    np.testing.assert_array_equal(outputs["scores"][0], scores)
    (heatmaps,) = eager("pose", artifact_input(crop[None], None))
    np.testing.assert_allclose(outputs["heatmaps"], heatmaps, rtol=1e-4, atol=1e-4)


def test_dynamic_batch_runs_any_batch_size(compiled: dict[str, tuple[Path, Path]]) -> None:
    path = compiled["normal"][1]
    bundle = read_bundle(path)
    assert bundle.manifest.inputs[0].shape[0] == "batch" and bundle.manifest.outputs[0].shape[0] == "batch"
    runtime = open_bundle(path, threads=1)
    images = np.random.default_rng(0).normal(size=(3, *bundle.manifest.inputs[0].shape[1:])).astype(np.float32)
    batched = runtime.run({"image": images})["normal"]
    singles = np.concatenate([runtime.run({"image": image[None]})["normal"] for image in images])
    np.testing.assert_allclose(batched, singles, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(batched, eager("normal", images)[0], rtol=1e-4, atol=1e-4)
    assert {sample["batch_size"] for sample in bundle.report()["samples"]} == {2}  # verified batched: 2 photos, 2 noise


def test_albedo_takes_planar_pixels(compiled: dict[str, tuple[Path, Path]]) -> None:
    path = compiled["albedo"][1]
    manifest = read_bundle(path).manifest
    assert manifest.inputs[0].layout == "NCHW" and manifest.inputs[0].dtype == "uint8"
    assert manifest.inputs[0].resize["policy"] == "letterbox" and manifest.decoding == {"clamp": [0.0, 1.0]}


def test_pointmap_records_the_canonical_focal_length(compiled: dict[str, tuple[Path, Path]]) -> None:
    path = compiled["pointmap"][1]
    manifest = read_bundle(path).manifest
    assert manifest.decoding["canonical_focal_length"] == case_json("task_pointmap")["canonical_focal_length"]
    assert manifest.output_names == ("pointmap", "scale") and manifest.labels is None
    image = np.random.default_rng(1).normal(size=(1, *manifest.inputs[0].shape[1:])).astype(np.float32)
    outputs = open_bundle(path, threads=1).run({"image": image})
    for name, expected in zip(manifest.output_names, eager("pointmap", image)):
        np.testing.assert_allclose(outputs[name], expected, rtol=1e-4, atol=1e-4)


def test_pointmap_input_size_is_fixed_by_its_scale_head(compiled: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    checkpoint = compiled["pointmap"][0]
    with pytest.raises(CompileError, match="scale head does not fit 128x96 inputs: its MLP takes 96 features, this size gives 16"):
        compile_bundle(from_checkpoint(checkpoint), CompileOptions(target="onnx", input_size=(128, 96), threads=1), tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_large_weights_go_to_external_data(compiled: dict[str, tuple[Path, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_exporter, "EXTERNAL_DATA_BYTES", 0)  # as if the model were above protobuf's 2 GB
    checkpoint = compiled["albedo"][0]
    options = CompileOptions(target="onnx", input_size=tuple(case_json("task_albedo")["img_size"]), threads=1)
    path = compile_bundle(from_checkpoint(checkpoint), options, tmp_path / "external").path
    manifest = read_bundle(path).manifest
    assert [a.file for a in manifest.artifacts] == ["model.onnx", "model.onnx.data"]
    data = next(a for a in manifest.artifacts if a.file.endswith(".data"))
    graph = next(a for a in manifest.artifacts if a.file == "model.onnx")
    assert data.bytes > graph.bytes  # the weights live in the data file
    image = np.zeros((1, *manifest.inputs[0].shape[1:]), np.float32)
    np.testing.assert_allclose(open_bundle(path, threads=1).run({"image": image})["albedo"], eager("albedo", image)[0], atol=1e-4)
    (path / "model.onnx.data").write_bytes(b"\0" * data.bytes)
    with pytest.raises(BundleError, match="checksum mismatch for .*model.onnx.data"):
        open_bundle(path)


@pytest.mark.parametrize("task", list(OPTIONS))
def test_a_bundle_predicts_what_its_checkpoint_predicts(compiled: dict[str, tuple[Path, Path]], task: str) -> None:
    """``sapiens2.load(bundle)`` runs the same processing as ``sapiens2.load(checkpoint)``: same results."""
    import sapiens2

    checkpoint, bundle = compiled[task]
    image = str(IMAGES / "messi5.jpg")
    size = tuple(case_json(f"task_{task}")["img_size"])
    from_bundle = sapiens2.load(bundle, precision="fp32", input_size=size).predict(image)
    from_torch = sapiens2.load(checkpoint, input_size=size).predict(image)
    assert from_bundle.meta["runtime"] == "onnxruntime" and from_torch.meta["runtime"] == "torch"
    if task == "pose":
        # Random heatmaps are flat, so a few DARK steps are ill-conditioned: compare the typical keypoint.
        distance = np.linalg.norm(from_bundle.keypoints - from_torch.keypoints, axis=-1)
        assert np.median(distance) < 0.01 and (distance < 0.5).mean() > 0.95
    elif task == "seg":
        # The bundle decodes in-graph: labels at model resolution, resized by nearest neighbour.
        model = load_model(checkpoint)
        with torch.no_grad():
            logits = model(torch.from_numpy(normalize(stretch_resize(read_image(image), size[::-1])[None])))
        labels = logits.argmax(1)[0].numpy().astype(np.uint8)
        expected = cv2.resize(labels, from_torch.labels.shape[::-1], interpolation=cv2.INTER_NEAREST)
        assert (from_bundle.labels == expected).mean() > 0.99
    else:
        for name, array in from_torch.arrays().items():
            # fp32 RoPE in the artifact vs the checkpoint's bf16 RoPE: ~1e-4 of the output's range.
            scale = np.abs(array).max()
            np.testing.assert_allclose(from_bundle.arrays()[name], array, rtol=0, atol=2e-4 * scale, err_msg=name)


@pytest.mark.parametrize(
    "asked,message", [({"precision": "int8"}, "is a fp32 bundle, not int8"), ({"input_size": (256, 192)}, "compiled for 128x96 inputs, not 256x192")]
)
def test_a_bundle_refuses_a_precision_or_size_it_was_not_compiled_for(
    compiled: dict[str, tuple[Path, Path]], asked: dict[str, object], message: str
) -> None:
    import sapiens2
    from sapiens2.errors import UserError

    with pytest.raises(UserError, match=message):
        sapiens2.load(compiled["seg"][1], **asked)
