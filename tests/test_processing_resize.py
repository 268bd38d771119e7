"""Normalisation by hand, and the dense resize policies (seg stretch, letterbox) and their inverse."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sapiens2.processing import (
    crop_padding,
    letterbox,
    normalize,
    resize_map,
    stretch_resize,
)


def test_normalize_by_hand() -> None:
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 1] = (10, 20, 255)  # B, G, R
    out = normalize(image)
    assert out.shape == (1, 3, 2, 3) and out.dtype == np.float32
    # Channels come out RGB: (255 - 123.675) / 58.395, (20 - 116.28) / 57.12, (10 - 103.53) / 57.375.
    np.testing.assert_allclose(out[0, :, 0, 1], [2.2489083, -1.6855742, -1.6301525], rtol=1e-6)
    np.testing.assert_allclose(out[0, :, 1, 2], [-123.675 / 58.395, -116.28 / 57.12, -103.53 / 57.375], rtol=1e-6)
    assert normalize(np.stack([image, image])).shape == (2, 3, 2, 3)
    with pytest.raises(ValueError, match="BGR"):
        normalize(np.zeros((2, 3), np.uint8))


def test_stretch_resize_picks_interpolation_from_width() -> None:
    image = np.random.default_rng(0).integers(0, 256, size=(40, 30, 3), dtype=np.uint8)
    narrower = stretch_resize(image, (20, 80))  # width shrinks (height grows): INTER_AREA
    assert np.array_equal(narrower, cv2.resize(image, (20, 80), interpolation=cv2.INTER_AREA))
    wider = stretch_resize(image, (60, 10))  # width grows (height shrinks): INTER_CUBIC
    assert np.array_equal(wider, cv2.resize(image, (60, 10), interpolation=cv2.INTER_CUBIC))
    assert not np.array_equal(wider, cv2.resize(image, (60, 10), interpolation=cv2.INTER_AREA))


@pytest.mark.parametrize(
    "image_hw, input_size, content_hw, padding",
    [
        ((500, 1000), (768, 1024), (384, 768), (0, 0, 320, 320)),
        ((2, 3), (7, 7), (4, 7), (0, 0, 1, 2)),  # 2 * 7/3 = 4.67 truncates to 4; odd pad: bottom gets more
        ((1024, 768), (768, 1024), (1024, 768), (0, 0, 0, 0)),
        ((2000, 600), (768, 1024), (1024, 307), (230, 231, 0, 0)),  # 600 * 0.512 = 307.2
    ],
)
def test_letterbox_by_hand(image_hw, input_size, content_hw, padding) -> None:
    image = np.full(image_hw + (3,), 200, np.uint8)
    padded, box = letterbox(image, input_size)
    assert padded.shape == (input_size[1], input_size[0], 3)
    assert box.padding == padding and box.content_shape == content_hw and box.original_shape == image_hw
    content = crop_padding(padded, padding)
    assert content.shape[:2] == content_hw and (content == 200).all()
    assert padded.sum() == content.sum(), "the padding is black"


def test_letterbox_content_is_a_bilinear_resize() -> None:
    image = np.random.default_rng(1).integers(0, 256, size=(30, 50, 3), dtype=np.uint8)
    padded, box = letterbox(image, (40, 40))
    expected = cv2.resize(image, (40, 24), interpolation=cv2.INTER_LINEAR)
    assert np.array_equal(crop_padding(padded, box.padding), expected)


@pytest.mark.parametrize("shape", [(80, 100), (20, 30), (74, 106), (18, 26)])
def test_resize_map_equals_torch_bilinear_without_align_corners(shape) -> None:
    torch = pytest.importorskip("torch")
    source = np.random.default_rng(2).random((37, 53, 3)).astype(np.float32)
    reference = (
        torch.nn.functional.interpolate(
            torch.from_numpy(source).permute(2, 0, 1)[None], size=shape, mode="bilinear", align_corners=False
        )[0]
        .permute(1, 2, 0)
        .numpy()
    )
    np.testing.assert_allclose(resize_map(source, shape), reference, atol=1e-5)
    assert resize_map(source[:, :, 0], shape).shape == shape
