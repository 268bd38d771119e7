"""What the Android app would run, run here: the app's ``model.pte`` (uint8 RGB NHWC input, in-graph
normalisation and peak decoding beside the heatmaps) through ExecuTorch's Python runtime, fed and read
through the bundle's manifest exactly as the app's FrameAnalyzer does, against the SDK's PyTorch predictor
on the shared images. Compiling takes ~1 min on this machine, hence ``slow``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import sapiens2
import torch
from fixture_paths import IMAGES
from safetensors.torch import save_file
from sapiens2.bundle import Manifest, read_bundle
from sapiens2.compile.source import random_weights_model
from sapiens2.processing import TopdownCrop, decode_udp_heatmaps, stretch_resize
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

INPUT_HW = (64, 48)
TINY_ARCH = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}
SHARED_IMAGES = ("astronaut.png", "messi5.jpg", "basketball1.png")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model, _ = random_weights_model("pose", TINY_ARCH, INPUT_HW, seed=3)
    path = tmp_path_factory.mktemp("android") / "pose.safetensors"
    save_file(model.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def seg_checkpoint(checkpoint: Path) -> Path:
    model, _ = random_weights_model("seg", TINY_ARCH, INPUT_HW, seed=4)
    path = checkpoint.parent / "seg.safetensors"
    save_file(model.state_dict(), path)
    return path


def compile_for_the_app(checkpoint: Path, decode: str) -> Path:
    """The bundle as README.md tells users to compile it for the app."""
    out = checkpoint.with_suffix("")
    code, _, stderr = run_cli(
        ["compile", str(checkpoint), "--target", "executorch", "--input-size", "64x48", "--in-graph-preprocess",
         "--decode", decode, "--threads", "1", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, stderr
    return out


@pytest.fixture(scope="module")
def app_bundle(checkpoint: Path) -> Path:
    return compile_for_the_app(checkpoint, "beside")  # peaks for the app's fast path, heatmaps to check them


@pytest.fixture(scope="module")
def seg_bundle(seg_checkpoint: Path) -> Path:
    return compile_for_the_app(seg_checkpoint, "only")


def load_program(bundle: Path) -> tuple[Manifest, Any]:
    """The manifest and the forward method of the program it names, as the app's ModelRunner loads them."""
    from executorch.runtime import Runtime

    manifest = read_bundle(bundle).manifest
    spec = manifest.inputs[0]
    assert (spec.layout, spec.dtype, spec.color_order, spec.normalization.in_graph) == ("NHWC", "uint8", "RGB", True)
    return manifest, Runtime.get().load_program(bundle / manifest.runtime.settings["program"]).load_method("forward")


def execute(manifest: Manifest, method: Any, pixels_bgr: np.ndarray) -> dict[str, np.ndarray]:
    """One uint8 frame, turned to the manifest's RGB NHWC, through the program: outputs by manifest name."""
    rgb = torch.from_numpy(np.ascontiguousarray(pixels_bgr[None, :, :, ::-1]))
    return dict(zip(manifest.output_names, (o.numpy() for o in method.execute([rgb]))))


def run_like_the_app(bundle: Path, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole-image UDP crop per the manifest, the .pte, DARK decoding: (keypoints in image px, heatmaps, peaks)."""
    manifest, method = load_program(bundle)
    height, width = manifest.inputs[0].shape[1:3]
    crop = TopdownCrop.from_box(
        np.array([0, 0, image_bgr.shape[1] - 1, image_bgr.shape[0] - 1], np.float32),
        (width, height),
        manifest.inputs[0].resize["box_padding"],
    )
    outputs = execute(manifest, method, crop.warp(image_bgr))
    heatmaps, peaks = outputs["heatmaps"][0], outputs["keypoints"][0]
    keypoints, _ = decode_udp_heatmaps(heatmaps, (width, height))
    return crop.keypoints_to_image(keypoints), heatmaps, peaks


@pytest.mark.parametrize("name", SHARED_IMAGES)
def test_the_apps_program_matches_the_pytorch_predictor(app_bundle: Path, checkpoint: Path, name: str) -> None:
    image = cv2.imread(str(IMAGES / name))
    keypoints, heatmaps, peaks = run_like_the_app(app_bundle, image)
    reference = sapiens2.load(checkpoint, input_size=INPUT_HW).predict(str(IMAGES / name))
    assert reference.keypoints.shape == (1, 308, 2)
    # Same crop, same network (fp32 XNNPACK), same decoding: sub-pixel agreement in image pixels. Random
    # weights give near-flat heatmaps with near-tied maxima, on which the DARK Newton step is ill-conditioned
    # for some keypoints (it lands far from the peak and amplifies 1e-6 differences in the heatmaps), so
    # at least 90% of the keypoints (not all) must agree to 0.05 px; real weights have sharp peaks.
    distance = np.linalg.norm(keypoints - reference.keypoints[0], axis=-1)
    assert np.mean(distance < 0.05) >= 0.9 and np.median(distance) < 0.01, np.sort(distance)[-10:]
    # The in-graph peaks the app reads when a bundle has no heatmaps: each heatmap's argmax (x, y).
    flat = heatmaps.reshape(len(heatmaps), -1).argmax(-1)
    expected_peaks = np.stack((flat % heatmaps.shape[-1], flat // heatmaps.shape[-1]), -1).astype(np.float32)
    expected_peaks[heatmaps.reshape(len(heatmaps), -1).max(-1) <= 0] = -1
    np.testing.assert_array_equal(peaks, expected_peaks)


@pytest.mark.parametrize("name", SHARED_IMAGES)
def test_the_apps_seg_program_matches_the_pytorch_predictor(seg_bundle: Path, seg_checkpoint: Path, name: str) -> None:
    image = cv2.imread(str(IMAGES / name))
    manifest, method = load_program(seg_bundle)
    assert manifest.inputs[0].resize["policy"] == "stretch" and manifest.output_names == ("labels",)
    height, width = manifest.inputs[0].shape[1:3]
    stretched = stretch_resize(image, (width, height))  # what the app's DenseResize.stretch feeds (golden-tested)
    labels = execute(manifest, method, stretched)["labels"][0]
    # The predictor on the same pixels: its stretch and its logits resize are identities at the input size,
    # so its labels are the PyTorch argmax at model resolution, the map the app shows.
    reference = sapiens2.load(seg_checkpoint, input_size=INPUT_HW).predict(stretched, color_order="bgr").labels
    assert labels.shape == reference.shape == (height, width)
    assert np.mean(labels == reference) >= 0.99  # random-weight logits have near-ties; fp32 XNNPACK vs eager
