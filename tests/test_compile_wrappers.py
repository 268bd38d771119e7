"""Export wrappers in eager mode: in-graph steps equal the shared processing; the model is unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fixture_paths import IMAGES, OFFICIAL, case_checkpoint, case_json
from safetensors.torch import load_file
from sapiens2.compile.source import load_checkpoint_model
from sapiens2.compile.wrappers import (
    ExportWrapper,
    ImageNormalizer,
    attention_mode,
    heatmap_peaks,
    logits_to_labels,
)
from sapiens2.models import AttentionMode
from sapiens2.processing import heatmap_maxima, normalize, read_image
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def seg_model() -> torch.nn.Module:
    model, _ = load_checkpoint_model(case_checkpoint("task_seg"))
    return model


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return torch.nn.functional.cosine_similarity(a.double().flatten(), b.double().flatten(), dim=0).item()


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
def test_in_graph_normalisation_is_bit_identical_to_processing(layout: str) -> None:
    bgr = read_image(IMAGES / "messi5.jpg")[None]
    rgb = bgr[..., ::-1]
    pixels = rgb if layout == "NHWC" else rgb.transpose(0, 3, 1, 2)
    ours = ImageNormalizer(layout)(torch.from_numpy(np.ascontiguousarray(pixels)))
    np.testing.assert_array_equal(ours.numpy(), normalize(bgr))


def test_heatmap_peaks_equal_the_official_argmax_step() -> None:
    heatmaps = torch.randn(2, 5, 8, 6)
    heatmaps[0, 3] = -torch.rand(8, 6)  # no positive response: (-1, -1)
    heatmaps[1, 0, 2, 4] = 9.0
    peaks, scores = heatmap_peaks(heatmaps)
    for batch in range(2):
        expected_peaks, expected_scores = heatmap_maxima(heatmaps[batch].numpy())
        np.testing.assert_array_equal(peaks[batch].numpy(), expected_peaks)
        np.testing.assert_array_equal(scores[batch].numpy(), expected_scores)
    assert peaks[1, 0].tolist() == [4.0, 2.0]
    assert peaks[0, 3].tolist() == [-1.0, -1.0]


def test_labels_are_the_argmax_as_bytes() -> None:
    logits = torch.randn(2, 29, 7, 5)
    labels = logits_to_labels(logits)
    assert labels.dtype == torch.uint8
    np.testing.assert_array_equal(labels.numpy(), np.argmax(logits.numpy(), axis=1))


def test_official_numerics_reproduce_the_fixture_and_fp32_tables_stay_close(seg_model: torch.nn.Module) -> None:
    size = tuple(case_json("task_seg")["img_size"])
    image = load_file(OFFICIAL / "task_seg" / "input.safetensors")["image"]
    expected = load_file(OFFICIAL / "task_seg" / "expected.safetensors")["out0"]
    with torch.no_grad():
        (official,) = ExportWrapper(seg_model, size, fixed_rope=False)(image)
        (fixed,) = ExportWrapper(seg_model, size)(image)
        direct = seg_model(image, seg_model.backbone.rope_tables(size, torch.float32))
    assert (official - expected).abs().max() / expected.abs().max() < 1e-3  # the models' parity bound for bf16 RoPE
    torch.testing.assert_close(fixed, direct, rtol=0, atol=0)  # the wrapper only supplies the tables
    assert not torch.equal(fixed, official)  # fp32 rotation differs from bf16-rounded q/k ...
    assert cosine(fixed, expected) > 0.9999  # ... by little


def test_wrapper_names_and_decodes_outputs(seg_model: torch.nn.Module) -> None:
    size = tuple(case_json("task_seg")["img_size"])
    pixels = torch.randint(0, 256, (1, *size, 3), dtype=torch.uint8)
    wrapper = ExportWrapper(seg_model, size, preprocess="NHWC", decode="beside")
    assert wrapper.output_names == ("logits", "labels")
    assert wrapper.example_input().dtype == torch.uint8 and wrapper.input_shape(2) == (2, *size, 3)
    with torch.no_grad():
        logits, labels = wrapper(pixels)
    torch.testing.assert_close(labels, logits.argmax(1).to(torch.uint8), rtol=0, atol=0)
    assert ExportWrapper(seg_model, size, decode="only").output_names == ("labels",)


def test_dense_tasks_have_no_in_graph_decoding() -> None:
    model, _ = load_checkpoint_model(case_checkpoint("task_normal"))
    with pytest.raises(ValueError, match="in-graph decoding exists for"):
        ExportWrapper(model, (128, 96), decode="only")


def test_attention_mode_is_restored_even_after_an_error(seg_model: torch.nn.Module) -> None:
    blocks = seg_model.backbone.blocks
    assert all(block.attn.mode == AttentionMode("sdpa") for block in blocks)
    with pytest.raises(RuntimeError), attention_mode(seg_model, "tiled", 64, 16):
        assert {block.attn.mode.kind for block in blocks} == {"tiled"}
        assert blocks[0].attn.mode.tile_size == 64
        raise RuntimeError("export failed")
    assert all(block.attn.mode == AttentionMode("sdpa") for block in blocks)
    assert seg_model.backbone.attention == "sdpa"
