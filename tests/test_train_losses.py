"""Each training loss against a computation done by hand on a tiny input (official-facts §5.5)."""

from __future__ import annotations

import math

import pytest
import torch

from sapiens2.train import losses
from sapiens2.train.config import load_config
from sapiens2.train.recipes import recipe_for


def test_keypoint_mse_is_ten_times_the_weighted_mean_over_every_pixel() -> None:
    pred = torch.zeros(1, 2, 1, 2)
    target = torch.tensor([[[[1.0, 0.0]], [[0.0, 0.5]]]])
    weights = torch.tensor([[1.0, 2.0]])
    # w*(p-g)^2 = [1, 0] and [0, 2*0.25]: sum 1.5 over 4 values -> 0.375, times 10.
    assert losses.keypoint_mse(pred, target, weights).item() == pytest.approx(3.75)


def test_soft_argmax_finds_a_sharp_peak_and_averages_two_equal_ones() -> None:
    maps = torch.zeros(1, 2, 3, 4)
    maps[0, 0, 1, 2] = 1.0
    maps[0, 1, 0, 0] = maps[0, 1, 0, 2] = 1.0
    coords = losses.soft_argmax(maps, temperature=100.0)
    torch.testing.assert_close(coords, torch.tensor([[[2.0, 1.0], [1.0, 0.0]]]))
    # Keypoint 0 is 0.5 px off in x; keypoint 1 has weight 0 and does not count.
    targets = torch.tensor([[[1.5, 1.0], [3.0, 2.0]]])
    assert losses.keypoint_coord_l1(maps, targets, torch.tensor([[1.0, 0.0]]), 100.0).item() == pytest.approx(0.5)


def test_seg_cross_entropy_weights_the_true_class_and_averages_over_all_pixels() -> None:
    logits = torch.tensor([[[[0.0, math.log(3)]], [[0.0, 0.0]]]])  # pixel 0: [0, 0]; pixel 1: [ln 3, 0]
    labels = torch.tensor([[[1, 255]]])
    # pixel 0: weight 10 * -log(1/2); pixel 1 ignored counts as 0 in the mean over 2 pixels.
    assert losses.seg_cross_entropy(logits, labels, (0.1, 10)).item() == pytest.approx(5 * math.log(2))


def test_dice_skips_background_and_samples_without_foreground() -> None:
    logits = torch.zeros(2, 3, 1, 2)
    logits[0, 2, 0, 1] = math.log(2)  # pixel 1 probabilities (1/4, 1/4, 1/2); pixel 0 all 1/3
    labels = torch.tensor([[[1, 2]], [[0, 0]]])
    eps = 1e-3
    dice_1 = (2 * (1 / 3) + eps) / ((1 / 9 + 1 / 16) + 1 + eps)
    dice_2 = (2 * (1 / 2) + eps) / ((1 / 9 + 1 / 4) + 1 + eps)
    expected = (1 - (dice_1 + dice_2) / 2) / 2  # the second sample (background only) contributes 0
    assert losses.seg_dice(logits, labels, eps).item() == pytest.approx(expected, rel=1e-6)


def test_normal_loss_adds_ten_cosine_one_l1_and_ten_gradient() -> None:
    pred = torch.tensor([[[[1.0, 2.0]], [[0.0, 0.0]], [[0.0, 0.0]]]])
    gt = torch.tensor([[[[0.0, 1.0]], [[1.0, 0.0]], [[0.0, 0.0]]]])
    # cos: pixel 0 orthogonal (1), pixel 1 parallel (0) -> 0.5; L1: (2 + 1) / 2 = 1.5;
    # x gradient: pred (1, 0, 0) - gt (1, -1, 0) -> 1 over one pair; no y pairs.
    assert losses.normal_loss(pred, gt, torch.ones(1, 1, 1, 2)).item() == pytest.approx(10 * 0.5 + 1.5 + 10 * 1.0)
    # Masking pixel 1 leaves pixel 0 alone and no valid gradient pair.
    assert losses.normal_loss(pred, gt, torch.tensor([[[[1.0, 0.0]]]])).item() == pytest.approx(10 * 1 + 2)


def test_albedo_loss_adds_two_l1_the_gradient_and_chromaticity() -> None:
    pred = torch.tensor([0.5, 0.25, 0.25]).view(1, 3, 1, 1)
    gt = torch.ones(1, 3, 1, 1)
    # L1 0.5 + 0.75 + 0.75 = 2; chroma |1/2 - 1/3| + 2 |1/4 - 1/3| = 1/3; no gradient pairs.
    assert losses.albedo_loss(pred, gt, torch.ones(1, 1, 1, 1)).item() == pytest.approx(2 * 2 + 1 / 3, rel=1e-5)


def test_feature_cosine_is_zero_for_parallel_and_one_for_orthogonal_features() -> None:
    a = torch.tensor([[1.0, 0.0]]).T[None]  # (1, C=2, N=1)
    assert losses.feature_cosine(a, 3 * a).item() == pytest.approx(0.0, abs=1e-7)
    assert losses.feature_cosine(a, torch.tensor([[0.0, 1.0]]).T[None]).item() == pytest.approx(1.0)


@pytest.mark.parametrize("cut_off_weight", [0.0, 1.0])
def test_pose_loss_charges_a_peak_on_a_cut_off_keypoint_only_when_asked(cut_off_weight: float) -> None:
    recipe = recipe_for(load_config(None, [f"loss.cut_off_weight={cut_off_weight}"]))
    outputs = torch.zeros(1, 2, 4, 4)
    outputs[0, 1, 2, 2] = 1.0  # a peak for keypoint 1, which the crop cut off (target: empty)
    batch = {"heatmaps": torch.zeros(1, 2, 4, 4), "weights": torch.tensor([[1.0, 0.0]]), "cut_off": torch.tensor([[0.0, 1.0]])}
    # 10 x mean over 2 x 16 pixels of w_k (pred - target)^2: one pixel of keypoint 1 off by 1.
    assert recipe.loss(outputs, batch).item() == pytest.approx(10 * cut_off_weight / 32)
