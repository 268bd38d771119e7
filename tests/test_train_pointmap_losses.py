"""Each term of the official pointmap objective (official-facts §5.5) against a hand computation."""

from __future__ import annotations

import math

import pytest
import torch

from sapiens2.train import pointmap_losses as pm


def maps(x, y, z) -> torch.Tensor:
    """A (1, 3, 1, W) map from per-pixel X, Y, Z lists."""
    return torch.tensor([x, y, z], dtype=torch.float32)[None, :, None, :]


def test_mean_canonical_depth_is_the_masked_mean_of_ground_truth_z() -> None:
    gt = maps([0, 0], [0, 0], [2, 4])
    assert pm.mean_canonical_depth(gt, torch.ones(1, 1, 1, 2)).item() == 3
    assert pm.mean_canonical_depth(gt, torch.tensor([[[[1.0, 0.0]]]])).item() == 2


def test_depth_normalised_l1_sums_channels_and_clamps_each_pixel_at_four() -> None:
    gt = maps([0, 0], [0, 0], [2, 2])
    pred = gt + maps([0.3, 6], [0, 6], [0, 0])  # pixel 1 differs by 12 in all: 6 after dividing by depth 2
    depth = torch.full((1, 1, 1, 1), 2.0)
    assert pm.depth_normalised_l1(pred, gt, torch.ones(1, 1, 1, 2), depth).item() == pytest.approx((0.15 + 4) / 2)


def test_multiscale_l1_compares_the_maps_upsampled_twice() -> None:
    # X differs by (0, 1): bilinear x2 gives (0, 0.25, 0.75, 1) per row; the mask (1, 0) becomes (1, 1, 0, 0).
    gt, pred = maps([0, 0], [0, 0], [1, 1]), maps([0, 1], [0, 0], [1, 1])
    depth = torch.ones(1, 1, 1, 1)
    assert pm.multiscale_l1(pred, gt, torch.ones(1, 1, 1, 2), depth).item() == pytest.approx(0.5)
    assert pm.multiscale_l1(pred, gt, torch.tensor([[[[1.0, 0.0]]]]), depth).item() == pytest.approx(0.125)


def test_silog_is_the_scale_invariant_log_error() -> None:
    mask = torch.ones(1, 1, 1, 2)
    # d = log(gt) - log(pred) = (0, 1): E[d^2] = 0.5, E[d] = 0.5 -> sqrt(0.5 - 0.125).
    gt_z, pred_z = torch.tensor([1.0, math.e]).view(1, 1, 1, 2), torch.ones(1, 1, 1, 2)
    assert pm.silog(pred_z, gt_z, mask).item() == pytest.approx(math.sqrt(0.375), rel=1e-5)
    # A prediction off by one global factor k: d = -log k everywhere -> sqrt(0.5) * log k.
    assert pm.silog(3 * gt_z, gt_z, mask).item() == pytest.approx(math.sqrt(0.5) * math.log(3), rel=1e-5)


def test_intrinsics_consistency_measures_the_distance_to_the_camera_rays() -> None:
    intrinsics = torch.tensor([[[2.0, 0, 0.5], [0, 4.0, 0], [0, 0, 1]]])
    # Z = 2: the rays give x = (u - 0.5) * 2 / 2 = (-0.5, 0.5) and y = v * 2 / 4 = 0.
    pred = maps([-0.5, 1.0], [0, 1], [2, 2])
    assert pm.intrinsics_consistency(pred, intrinsics, torch.ones(1, 1, 1, 2)).item() == pytest.approx(
        (0 + 0.5 + 1) / 2
    )


def test_shift_invariant_l1_ignores_a_global_shift_and_compares_centred_maps() -> None:
    mask, depth = torch.ones(1, 1, 1, 2), torch.ones(1, 1, 1, 1)
    gt = maps([0, 2], [0, 0], [1, 1])
    assert pm.shift_invariant_l1(gt + 5, gt, mask, depth).item() == pytest.approx(0, abs=1e-5)
    # Centred X: gt (-1, 1), prediction (0, 0) -> 1 at both pixels.
    assert pm.shift_invariant_l1(maps([0, 0], [0, 0], [1, 1]), gt, mask, depth).item() == pytest.approx(1, rel=1e-5)


def test_normal_term_compares_the_surface_normals_of_the_metric_maps() -> None:
    """Ground truth a fronto-parallel plane (normal +-z), prediction tilted by 45 degrees about y."""
    u = torch.arange(3.0).view(1, 3).expand(3, 3)
    v = torch.arange(3.0).view(3, 1).expand(3, 3)
    gt = torch.stack([u, v, torch.full((3, 3), 5.0)])[None]
    pred = torch.stack([u, v, 5 + u])[None]
    # Every pixel (reflect padding flips the differences at the far edges, turning both normals alike):
    # cos 45 deg, and |n_pred - n_gt| = (sin 45, 0, 1 - cos 45) averaged over three channels = 1/3.
    expected = (1 - math.sqrt(0.5)) + 1 / 3
    scale = torch.tensor([2.0])
    assert pm.normal_consistency(2 * pred, 2 * gt, torch.ones(1, 1, 3, 3), scale).item() == pytest.approx(
        expected, rel=1e-5
    )
    assert pm.normal_consistency(gt, gt, torch.ones(1, 1, 3, 3), scale).item() == pytest.approx(0, abs=1e-6)


def test_the_objective_weights_the_terms_as_the_official_recipe() -> None:
    gt = torch.stack([torch.arange(4.0).view(2, 2), torch.ones(2, 2), 3 + torch.arange(4.0).view(2, 2) / 4])[None]
    intrinsics = torch.tensor([[[768.0, 0, 0.5], [0, 768.0, 0.5], [0, 0, 1]]])
    mask = torch.ones(1, 1, 2, 2)
    pred = gt * 1.1 + 0.05
    terms = pm.pointmap_terms(pred, torch.tensor([[1.5]]), gt, torch.tensor([[1.0]]), mask, intrinsics)
    assert terms["scale"].item() == pytest.approx(0.5)
    official = {
        "l1": 2,
        "multiscale_l1": 1,
        "silog": 1,
        "intrinsics": 1,
        "shift_invariant_l1": 1,
        "normal": 2,
        "scale": 4,
    }
    total = pm.pointmap_loss(pred, torch.tensor([[1.5]]), gt, torch.tensor([[1.0]]), mask, intrinsics)
    assert total.item() == pytest.approx(sum(official[name] * value.item() for name, value in terms.items()), rel=1e-6)
    perfect = pm.pointmap_loss(gt, torch.tensor([[1.0]]), gt, torch.tensor([[1.0]]), mask, intrinsics)
    assert perfect.item() == pytest.approx(pm.intrinsics_consistency(gt, intrinsics, mask).item() + 1e-6, abs=1e-5)
